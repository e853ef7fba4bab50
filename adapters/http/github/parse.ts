/**
 * What a GitHub webhook delivery means for AI Runner. Pure. Recorded:
 * - `pull_request` `closed` with `merged: true` → `PrMerged`;
 * - `pull_request` `closed` unmerged → `PrClosed`;
 * - `pull_request_review` `submitted` → `PrReviewed`;
 * each only for a head branch `ai/<KEY>` in the base repository itself (a fork
 * may name its branch anything). `ping` is answered; everything else is ignored.
 * Whether the repository is routed and the pull request is the issue's own is
 * for the route and the Run decider to judge: the fact names both.
 *
 * @module
 */
import { ISSUE_KEY_PATTERN, validateEventData } from "../../../domain/events.ts";
import { EventSchemaError } from "../../../domain/events.ts";
import type { PullRequestFact } from "../../../domain/run/commands.ts";

/** The meaning of a delivery. */
export type GithubDelivery =
  | { kind: "pong" }
  | { kind: "ignored"; reason: string }
  | {
    kind: "fact";
    issueKey: string;
    fact: PullRequestFact;
    actor: string;
    /** The base repository (`owner/name`). */
    repo: string;
    /** The head branch. */
    headRef: string;
  }
  | { kind: "invalid"; code: string; detail: string };

type Obj = Record<string, unknown>;

class Invalid extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}

class Ignored extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "missing";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `a string of ${v.length} characters`;
  return `a ${typeof v}`;
}

function obj(where: string, v: unknown): Obj {
  if (!isObject(v)) throw new Invalid(`${where} must be an object (got ${describe(v)})`);
  return v;
}

function str(where: string, v: unknown, max = 2000): string {
  if (typeof v !== "string" || v.length === 0 || v.length > max) {
    throw new Invalid(`${where} must be a non-empty string (got ${describe(v)})`);
  }
  return v;
}

function posInt(where: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) {
    throw new Invalid(`${where} must be a positive integer (got ${describe(v)})`);
  }
  return v;
}

function loginOf(where: string, user: unknown): string | null {
  if (user === null || user === undefined) return null;
  return str(`${where}.login`, obj(where, user).login, 200);
}

const BRANCH = /^ai\/(.+)$/;

/** Where a PR lives: the base repository and the head branch. */
interface PrPlace {
  issueKey: string;
  repo: string;
  headRef: string;
}

const REPO = /^[\w.-]+\/[\w.-]+$/;

/** The issue key of the PR's head branch, refusing branches that are not the runner's. */
function placeOfPr(body: Obj, pr: Obj): PrPlace {
  const head = obj("pull_request.head", pr.head);
  const ref = str("pull_request.head.ref", head.ref, 255);
  const m = BRANCH.exec(ref);
  if (!m || !ISSUE_KEY_PATTERN.test(m[1])) {
    throw new Ignored("the head branch is not an AI Runner branch (ai/<ISSUE-KEY>)");
  }
  const base = obj("pull_request.base", pr.base);
  const headRepo = head.repo;
  const baseRepo = base.repo;
  const idOf = (r: unknown) => (isObject(r) ? r.id : undefined);
  if (headRepo === null || idOf(headRepo) === undefined || idOf(headRepo) !== idOf(baseRepo)) {
    throw new Ignored("the head branch is not in the base repository (a fork)");
  }
  const repo = str(
    "pull_request.base.repo.full_name",
    obj("pull_request.base.repo", baseRepo)
      .full_name,
    200,
  );
  if (!REPO.test(repo)) throw new Invalid("pull_request.base.repo.full_name must be owner/name");
  const hook = isObject(body.repository) ? body.repository.full_name : undefined;
  if (
    hook !== undefined && (typeof hook !== "string" || hook.toLowerCase() !== repo.toLowerCase())
  ) {
    throw new Invalid("repository.full_name does not match pull_request.base.repo.full_name");
  }
  return { issueKey: m[1], repo, headRef: ref };
}

function actorOf(body: Obj): string {
  const login = isObject(body.sender) && typeof body.sender.login === "string" &&
      body.sender.login.length > 0 && body.sender.login.length <= 200
    ? body.sender.login
    : "unknown";
  return `github:${login}`;
}

function pullRequestClosed(deliveryId: string, body: Obj): GithubDelivery {
  const pr = obj("pull_request", body.pull_request);
  const { issueKey, repo, headRef } = placeOfPr(body, pr);
  const number = posInt("pull_request.number", pr.number);
  const url = str("pull_request.html_url", pr.html_url);
  if (typeof pr.merged !== "boolean") {
    throw new Invalid(`pull_request.merged must be a boolean (got ${describe(pr.merged)})`);
  }
  if (pr.merged) {
    const sha = pr.merge_commit_sha;
    return {
      kind: "fact",
      issueKey,
      repo,
      headRef,
      actor: actorOf(body),
      fact: {
        type: "PrMerged",
        data: {
          deliveryId,
          repo,
          number,
          url,
          mergeSha: sha === null || sha === undefined
            ? null
            : str("pull_request.merge_commit_sha", sha, 64),
          mergedBy: loginOf("pull_request.merged_by", pr.merged_by),
          mergedAt: str("pull_request.merged_at", pr.merged_at, 64),
        },
      },
    };
  }
  return {
    kind: "fact",
    issueKey,
    repo,
    headRef,
    actor: actorOf(body),
    fact: {
      type: "PrClosed",
      data: {
        deliveryId,
        repo,
        number,
        url,
        closedBy: loginOf("sender", body.sender),
        closedAt: str("pull_request.closed_at", pr.closed_at, 64),
      },
    },
  };
}

const REVIEW_STATES = new Set(["approved", "changes_requested", "commented", "dismissed"]);

function reviewSubmitted(deliveryId: string, body: Obj): GithubDelivery {
  const pr = obj("pull_request", body.pull_request);
  const { issueKey, repo, headRef } = placeOfPr(body, pr);
  const review = obj("review", body.review);
  const state = str("review.state", review.state, 50).toLowerCase();
  if (!REVIEW_STATES.has(state)) throw new Ignored(`review state ${state} is not recorded`);
  const url = typeof review.html_url === "string" && review.html_url.length > 0
    ? review.html_url
    : str("pull_request.html_url", pr.html_url);
  return {
    kind: "fact",
    issueKey,
    repo,
    headRef,
    actor: actorOf(body),
    fact: {
      type: "PrReviewed",
      data: {
        deliveryId,
        repo,
        number: posInt("pull_request.number", pr.number),
        reviewId: posInt("review.id", review.id),
        url,
        // GitHub's schema allows both to be null (a deleted account; a review GitHub did
        // not date): the review is still recorded, by "ghost" (GitHub's name for a
        // deleted account) and at the pull request's last update.
        reviewer: review.user === null
          ? "ghost"
          : str("review.user.login", obj("review.user", review.user).login, 200),
        state: state as "approved" | "changes_requested" | "commented" | "dismissed",
        submittedAt: review.submitted_at === null
          ? str("pull_request.updated_at", pr.updated_at, 64)
          : str("review.submitted_at", review.submitted_at, 64),
      },
    },
  };
}

function interpret(event: string, deliveryId: string, body: unknown): GithubDelivery {
  if (event === "ping") return { kind: "pong" };
  if (event !== "pull_request" && event !== "pull_request_review") {
    return { kind: "ignored", reason: `event ${event} is not used by AI Runner` };
  }
  const payload = obj("the body", body);
  const action = str("action", payload.action, 100);
  if (event === "pull_request") {
    if (action !== "closed") {
      return { kind: "ignored", reason: `pull_request ${action} is not used` };
    }
    return pullRequestClosed(deliveryId, payload);
  }
  if (action !== "submitted") {
    return { kind: "ignored", reason: `pull_request_review ${action} is not used` };
  }
  return reviewSubmitted(deliveryId, payload);
}

/**
 * Interprets a delivery (`X-GitHub-Event`, `X-GitHub-Delivery`, parsed body).
 * The fact it yields has already passed its event schema. Never throws.
 */
export function interpretGithubDelivery(
  event: string,
  deliveryId: string,
  body: unknown,
): GithubDelivery {
  try {
    const out = interpret(event, deliveryId, body);
    if (out.kind === "fact") validateEventData(out.fact.type, out.fact.data);
    return out;
  } catch (e) {
    if (e instanceof Ignored) return { kind: "ignored", reason: e.reason };
    if (e instanceof Invalid) return { kind: "invalid", code: "invalid_field", detail: e.detail };
    if (e instanceof EventSchemaError) {
      return { kind: "invalid", code: "invalid_field", detail: e.detail };
    }
    throw e;
  }
}
