/**
 * `POST /github/webhook`: GitHub reports pull request facts. The signature
 * (`X-Hub-Signature-256`, HMAC-SHA256 of the raw body) is checked in constant
 * time before anything is parsed; `X-GitHub-Delivery` is the delivery id, kept
 * on redelivery, so a redelivered fact is recorded once. The header is not
 * signed, so the Run decider also deduplicates on the fact itself.
 *
 * A fact counts only for a repository in `RUNNER_CONFIG` and only for the pull
 * request the runner recorded for the issue (the decider judges that part);
 * anything else is answered 202 `ignored` and logged, and appends nothing.
 *
 * @module
 */
import type { Handler, MiddlewareHandler } from "hono";
import { handleCommand } from "../../../domain/command_handler.ts";
import { EventSchemaError } from "../../../domain/events.ts";
import type { EventStore } from "../../../domain/ports/event_store.ts";
import type { Logger } from "../../../domain/ports/logger.ts";
import type { IntakeEnv } from "../context.ts";
import { githubSignatureMatches } from "../crypto.ts";
import { HttpError } from "../errors.ts";
import { parseJsonBody } from "../json_body.ts";
import { interpretGithubDelivery } from "./parse.ts";

const DELIVERY = /^[A-Za-z0-9-]{1,100}$/;
/** A well-formed event name: GitHub's are lower case, with `_` and digits (`projects_v2_item`). */
const EVENT = /^[a-z0-9_]{1,100}$/;

/** Refuses a request whose `X-Hub-Signature-256` does not sign its raw body (401). */
export function githubSignature(secret: string): MiddlewareHandler<IntakeEnv> {
  return async (c, next) => {
    if (!githubSignatureMatches(secret, c.get("rawBody"), c.req.header("x-hub-signature-256"))) {
      throw new HttpError(
        401,
        "unauthorized",
        "missing or wrong X-Hub-Signature-256 (HMAC-SHA256 of the body with the webhook secret)",
      );
    }
    await next();
  };
}

/** Which facts the GitHub route lets through to the decider. */
export interface GithubFactFilter {
  /** The routed repositories (`owner/name`, any case); null: not checked here. */
  repos: readonly string[] | null;
  logger?: Logger;
}

/** The handler of `POST /github/webhook` (after content type, body and signature middlewares). */
export function githubWebhook(
  store: EventStore,
  now: () => Date = () => new Date(),
  newRunId: () => string = () => crypto.randomUUID(),
  filter: GithubFactFilter = { repos: null },
): Handler<IntakeEnv> {
  const routed = filter.repos === null ? null : new Set(filter.repos.map((r) => r.toLowerCase()));
  const ignore = (
    c: Parameters<Handler<IntakeEnv>>[0],
    reason: string,
    fields: Record<string, unknown>,
  ) => {
    filter.logger?.warn("github fact ignored", { reason, ...fields });
    return c.json({ status: "ignored", reason }, 202);
  };
  return async (c) => {
    const deliveryId = c.req.header("x-github-delivery");
    if (deliveryId === undefined || !DELIVERY.test(deliveryId)) {
      throw new HttpError(
        400,
        "invalid_delivery",
        "X-GitHub-Delivery must be present: a GUID of at most 100 characters",
      );
    }
    c.set("deliveryId", deliveryId);
    const event = c.req.header("x-github-event");
    if (event === undefined || !EVENT.test(event)) {
      throw new HttpError(400, "invalid_event_header", "X-GitHub-Event must name the event");
    }
    const delivery = interpretGithubDelivery(event, deliveryId, parseJsonBody(c.get("rawBody")));
    switch (delivery.kind) {
      case "pong":
        return c.json({ status: "pong" }, 200);
      case "ignored":
        return c.json({ status: "ignored", reason: delivery.reason }, 202);
      case "invalid":
        throw new HttpError(400, delivery.code, delivery.detail);
    }
    const facts = {
      deliveryId,
      event,
      repo: delivery.repo,
      number: delivery.fact.data.number,
      issueKey: delivery.issueKey,
      actor: delivery.actor,
    };
    if (routed !== null && !routed.has(delivery.repo.toLowerCase())) {
      return ignore(c, `${delivery.repo} is not a repository in RUNNER_CONFIG`, facts);
    }
    let result;
    try {
      result = await handleCommand(
        store,
        delivery.issueKey,
        {
          type: "RecordPullRequestFact",
          issueKey: delivery.issueKey,
          fact: delivery.fact,
          repo: delivery.repo,
          headRef: delivery.headRef,
          runId: newRunId(),
          now: now().toISOString(),
        },
        { actor: delivery.actor, causationId: deliveryId, deliveryId },
      );
    } catch (e) {
      if (e instanceof EventSchemaError) throw new HttpError(400, "invalid_field", e.detail);
      throw e;
    }
    if (!result.ok) {
      if (result.error.kind === "too_much_contention") {
        throw new HttpError(503, "busy", "too many concurrent writes for this issue; retry", {
          "Retry-After": "1",
        });
      }
      if (result.error.code === "not_our_pull_request") {
        return ignore(c, result.error.message, facts);
      }
      throw new HttpError(409, result.error.code, result.error.message);
    }
    return c.json({
      status: result.events.length > 0 ? "recorded" : "duplicate",
      event: delivery.fact.type,
    }, 200);
  };
}
