/**
 * Reads what a Jira Automation "Send web request" body says: which issue, who
 * it is assigned to (when the body names it) and who asked. Pure.
 *
 * Three bodies are accepted:
 * - custom data, the recommended one: `{"issueKey": "MWC-42", …}`;
 * - "Issue data (Automation format)": the bare issue (`self` on api/2, numeric
 *   `id`, `key`, `fields`);
 * - "Issue data (Jira format)": the same issue wrapped as `{"issue": {…}}`.
 *
 * Atlassian calls its examples illustrative, so only the few fields used here
 * are checked, each strictly: the key against {@link ISSUE_KEY_PATTERN}, types
 * of `id`, `fields`, `fields.assignee` and the requester. Everything else in the
 * body is ignored.
 *
 * @module
 */
import { ISSUE_KEY_PATTERN, type Person } from "../../../domain/events.ts";

/** Which of the three bodies it was. */
export type JiraBodyShape = "custom" | "automation" | "jira";

/** What a valid body asks for. */
export interface JiraRunRequest {
  shape: JiraBodyShape;
  issueKey: string;
  /**
   * The assignee the body names: an account id, `null` for "unassigned", or
   * `undefined` when the body does not say.
   */
  assigneeAccountId?: string | null;
  /** Who triggered the rule (`user` or `initiator`), when the body says. */
  requester: Person | null;
}

/** The outcome of reading a body: the request, or a 400 code and a sentence. */
export type JiraParseResult =
  | { ok: true; value: JiraRunRequest }
  | { ok: false; code: string; detail: string };

type Obj = Record<string, unknown>;

class Invalid extends Error {
  constructor(readonly code: string, readonly detail: string) {
    super(detail);
  }
}

const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `a string of ${v.length} characters`;
  return `a ${typeof v}`;
}

function issueKey(where: string, v: unknown): string {
  if (typeof v !== "string" || v.length > 66 || !ISSUE_KEY_PATTERN.test(v)) {
    throw new Invalid(
      "invalid_issue_key",
      `${where} must be a Jira issue key like ABC-123 (got ${describe(v)})`,
    );
  }
  return v;
}

function optionalString(where: string, v: unknown, max: number): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") {
    throw new Invalid("invalid_field", `${where} must be a string (got ${describe(v)})`);
  }
  if (v.length > max) {
    throw new Invalid("invalid_field", `${where} is longer than ${max} characters`);
  }
  return v;
}

function person(where: string, v: unknown): Person | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) {
    throw new Invalid("invalid_field", `${where} must be an object (got ${describe(v)})`);
  }
  const accountId = optionalString(`${where}.accountId`, v.accountId, 200);
  const displayName = optionalString(`${where}.displayName`, v.displayName, 500);
  if (accountId === undefined && displayName === undefined) return null;
  const out: Person = {};
  if (accountId !== undefined) out.accountId = accountId;
  if (displayName !== undefined) out.displayName = displayName;
  return out;
}

function requester(body: Obj): Person | null {
  return person("user", body.user) ?? person("initiator", body.initiator);
}

/** The assignee an issue object names (see {@link JiraRunRequest.assigneeAccountId}). */
function assigneeOf(where: string, fields: Obj): string | null | undefined {
  if (!("assignee" in fields)) return undefined;
  const a = fields.assignee;
  if (a === null) return null;
  if (!isObject(a)) {
    throw new Invalid(
      "invalid_field",
      `${where}.assignee must be an object or null (got ${describe(a)})`,
    );
  }
  const id = optionalString(`${where}.assignee.accountId`, a.accountId, 200);
  if (id === undefined) {
    throw new Invalid("invalid_field", `${where}.assignee must carry an accountId`);
  }
  return id;
}

function issueObject(where: string, issue: Obj): { issueKey: string; assignee?: string | null } {
  const key = issueKey(`${where}.key`, issue.key);
  const id = issue.id;
  if (
    id !== undefined &&
    !(typeof id === "number" && Number.isSafeInteger(id) && id > 0) &&
    !(typeof id === "string" && /^[1-9][0-9]{0,18}$/.test(id))
  ) {
    throw new Invalid(
      "invalid_field",
      `${where}.id must be a numeric issue id (got ${describe(id)})`,
    );
  }
  if (issue.self !== undefined && typeof issue.self !== "string") {
    throw new Invalid(
      "invalid_field",
      `${where}.self must be a string (got ${describe(issue.self)})`,
    );
  }
  if (issue.fields === undefined) return { issueKey: key };
  if (!isObject(issue.fields)) {
    throw new Invalid(
      "invalid_field",
      `${where}.fields must be an object (got ${describe(issue.fields)})`,
    );
  }
  return { issueKey: key, assignee: assigneeOf(`${where}.fields`, issue.fields) };
}

const SHAPES_HINT = 'expected a custom body {"issueKey": "ABC-123"}, ' +
  'Automation\'s "Issue data (Automation format)" (the issue, with "key" and "fields") ' +
  'or "Issue data (Jira format)" ({"issue": {…}})';

function parse(body: unknown): JiraRunRequest {
  if (!isObject(body)) {
    throw new Invalid(
      "invalid_body",
      `the body must be a JSON object (got ${describe(body)}); ${SHAPES_HINT}`,
    );
  }
  if ("issue" in body) {
    if (!isObject(body.issue)) {
      throw new Invalid("invalid_field", `issue must be an object (got ${describe(body.issue)})`);
    }
    const issue = issueObject("issue", body.issue);
    return {
      shape: "jira",
      issueKey: issue.issueKey,
      assigneeAccountId: issue.assignee,
      requester: requester(body),
    };
  }
  if ("issueKey" in body) {
    const key = issueKey("issueKey", body.issueKey);
    let assignee: string | null | undefined;
    if ("assigneeAccountId" in body) {
      assignee = body.assigneeAccountId === null
        ? null
        : optionalString("assigneeAccountId", body.assigneeAccountId, 200) ?? null;
    }
    return {
      shape: "custom",
      issueKey: key,
      assigneeAccountId: assignee,
      requester: requester(body),
    };
  }
  if ("key" in body) {
    const issue = issueObject("(issue)", body);
    return {
      shape: "automation",
      issueKey: issue.issueKey,
      assigneeAccountId: issue.assignee,
      requester: requester(body),
    };
  }
  for (const alias of ["issue_key", "issuekey", "IssueKey", "ticket", "issueId"]) {
    if (alias in body) {
      throw new Invalid(
        "unknown_shape",
        `unknown field "${alias}": name the issue as "issueKey"; ${SHAPES_HINT}`,
      );
    }
  }
  throw new Invalid("unknown_shape", SHAPES_HINT);
}

/** Reads a parsed JSON body; never throws. */
export function parseJiraBody(body: unknown): JiraParseResult {
  try {
    return { ok: true, value: parse(body) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, code: e.code, detail: e.detail };
    throw e;
  }
}
