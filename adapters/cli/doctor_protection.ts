/**
 * The doctor's merge-gate check, per routed repository: before scaling out,
 * the base branch should require a pull request with at least one approving
 * review and passing status checks, so nothing the runner pushes reaches it
 * unreviewed. Read from the repository's rulesets
 * (`GET /repos/{o}/{r}/rules/branches/{b}`, needs only read access) and its
 * classic branch protection (`GET /repos/{o}/{r}/branches/{b}/protection`,
 * needs admin or the App's Administration: read); a missing setting is a
 * warning that names it.
 *
 * @module
 */
import { Octokit } from "octokit";
import type { GitHubClient } from "../../domain/ports/github.ts";
import type { RoutingConfig } from "../../domain/routing.ts";
import type { RunnerConfig } from "../config/env.ts";
import type { Report } from "./doctor_report.ts";

/** What requires review and checks on a branch, and where that was read. */
export interface MergeGate {
  /** Most approving reviews any source requires (0: a PR but no approval), null: no PR rule. */
  approvals: { count: number; source: string } | null;
  /** Status checks some source requires, null: none. */
  checks: { contexts: string[]; source: string } | null;
  /** Why the classic protection could not be read (null: it was, or there is none). */
  protectionUnreadable: string | null;
}

/** A rule of `GET /rules/branches/{b}` as far as this check reads it. */
interface BranchRule {
  type: string;
  parameters?: {
    required_approving_review_count?: number;
    required_status_checks?: { context: string }[];
  };
}

/** Classic protection as far as this check reads it. */
interface BranchProtection {
  required_pull_request_reviews?: { required_approving_review_count?: number };
  required_status_checks?: { contexts?: string[]; checks?: { context: string }[] };
}

/** Combines the rulesets' rules and the classic protection (either may be absent). */
export function mergeGate(
  rules: readonly BranchRule[],
  protection: BranchProtection | null,
  protectionUnreadable: string | null = null,
): MergeGate {
  let approvals: MergeGate["approvals"] = null;
  let checks: MergeGate["checks"] = null;
  const review = (count: number | undefined, source: string) => {
    const n = count ?? 0;
    if (!approvals || n > approvals.count) approvals = { count: n, source };
  };
  const check = (contexts: string[], source: string) => {
    if (contexts.length && (!checks || contexts.length > checks.contexts.length)) {
      checks = { contexts, source };
    }
  };
  for (const rule of rules) {
    if (rule.type === "pull_request") {
      review(rule.parameters?.required_approving_review_count, "ruleset");
    }
    if (rule.type === "required_status_checks") {
      check((rule.parameters?.required_status_checks ?? []).map((c) => c.context), "ruleset");
    }
  }
  if (protection?.required_pull_request_reviews) {
    review(
      protection.required_pull_request_reviews.required_approving_review_count,
      "branch protection",
    );
  }
  const status = protection?.required_status_checks;
  if (status) {
    const contexts = [
      ...new Set([...(status.contexts ?? []), ...(status.checks ?? []).map((c) => c.context)]),
    ];
    check(contexts, "branch protection");
  }
  return { approvals, checks, protectionUnreadable };
}

/** The report line's words for a gate, and the settings still missing. */
export function describeGate(gate: MergeGate): { ok: boolean; message: string; fix: string } {
  const lacks: string[] = [];
  const settings: string[] = [];
  const have: string[] = [];
  if (!gate.approvals || gate.approvals.count < 1) {
    lacks.push("an approving review");
    settings.push(
      gate.approvals
        ? '"Required approvals" ≥ 1 (a pull request is required, with no approval)'
        : '"Require a pull request before merging" with "Required approvals" ≥ 1',
    );
  } else have.push(`${gate.approvals.count} approving review(s) (${gate.approvals.source})`);
  if (!gate.checks) {
    lacks.push("status checks");
    settings.push('"Require status checks to pass before merging"');
  } else {
    have.push(
      `status checks ${gate.checks.contexts.slice(0, 4).join(", ")} (${gate.checks.source})`,
    );
  }
  if (lacks.length === 0) return { ok: true, message: `requires ${have.join(" and ")}`, fix: "" };
  return {
    ok: false,
    message: `does not require ${lacks.join(" nor ")} before a merge` +
      (have.length ? ` (it requires ${have.join(", ")})` : "") +
      (gate.protectionUnreadable
        ? `; classic branch protection unreadable (${gate.protectionUnreadable}): only rulesets checked`
        : ""),
    fix: `turn on ${settings.join(" and ")} in Settings → Rules → Rulesets (or Settings → ` +
      "Branches → branch protection rule) for this branch",
  };
}

function status(error: unknown): number | null {
  const s = (error as { status?: unknown })?.status;
  return typeof s === "number" ? s : null;
}

/** Checks each routed repository's base branch; warnings only (a pilot may run without). */
export async function checkMergeGates(
  config: RunnerConfig,
  routing: RoutingConfig,
  github: GitHubClient,
  report: Report,
): Promise<void> {
  let octokit: Octokit;
  try {
    const token = await github.tokenForGit();
    octokit = new Octokit({
      auth: token,
      baseUrl: config.github.apiUrl.replace(/\/+$/, ""),
      request: { retries: 0 },
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
  } catch (error) {
    report.skip(
      "branch protection",
      `no GitHub token to read it with: ${(error as Error).message}`,
    );
    return;
  }
  for (const repo of routing.repos) {
    const check = `branch protection ${repo.github}@${repo.baseBranch}`;
    const [owner, name] = repo.github.split("/");
    const slug = { owner, repo: name, branch: repo.baseBranch };
    try {
      let rules: BranchRule[] = [];
      try {
        rules = (await octokit.request("GET /repos/{owner}/{repo}/rules/branches/{branch}", {
          ...slug,
          per_page: 100,
        })).data as BranchRule[];
      } catch (error) {
        if (status(error) !== 404) throw error;
      }
      let protection: BranchProtection | null = null;
      let unreadable: string | null = null;
      try {
        protection = (await octokit.request(
          "GET /repos/{owner}/{repo}/branches/{branch}/protection",
          slug,
        )).data as BranchProtection;
      } catch (error) {
        const code = status(error);
        const message = (error as Error).message;
        if (code === 404 && /not protected/i.test(message)) protection = null;
        else if (code === 403 || code === 404) {
          unreadable = code === 403
            ? "the GitHub App needs Administration: read"
            : "the token's user needs admin on the repository";
        } else throw error;
      }
      const verdict = describeGate(mergeGate(rules, protection, unreadable));
      if (verdict.ok) report.ok(check, verdict.message);
      else report.warn(check, verdict.message, verdict.fix);
    } catch (error) {
      report.warn(
        check,
        `could not read the branch's rules: ${(error as Error).message}`,
        "check GITHUB_API_URL and the credentials (see the GitHub check)",
      );
    }
  }
}
