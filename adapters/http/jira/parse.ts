/**
 * Reads what a Jira Automation "Send web request" body says: which issue, who
 * it is assigned to (when the body names it) and who asked. Pure.
 *
 * Four bodies are accepted:
 * - custom data, the recommended one: `{"issueKey": "MWC-42", …}`;
 * - "Issue data (Automation format)": the bare issue (`self` on api/2, numeric
 *   `id`, `key`, `fields`), from Jira Cloud or Automation for Jira Data Center;
 * - "Issue data (Jira format)": the same issue wrapped as `{"issue": {…}}`;
 * - a native Jira webhook (System → WebHooks, Data Center's way without
 *   Automation): `{"webhookEvent": "jira:issue_updated", "user", "issue",
 *   "changelog"}`. It fires on every update, so it asks for a run only when its
 *   changelog shows the assignee changing (to the AI user); anything else is
 *   answered `ignored` with the reason.
 *
 * Users are named by Cloud's `accountId` or by Data Center's `name`/`key`; a
 * Data Center configuration names its accounts by username (`name`), which is
 * what the request carries as `accountId`, with the user key as an alias.
 *
 * Atlassian calls its examples illustrative, so only the few fields used here
 * are checked, each strictly: the key against {@link ISSUE_KEY_PATTERN}, types
 * of `id`, `fields`, `fields.assignee` and the requester. Everything else in the
 * body is ignored.
 *
 * @module
 */
import { ISSUE_KEY_PATTERN, type Person } from "../../../domain/events.ts";

/** Which of the bodies it was. */
export type JiraBodyShape = "custom" | "automation" | "jira" | "webhook";

/** What a valid body asks for. */
export interface JiraRunRequest {
  shape: JiraBodyShape;
  issueKey: string;
  /**
   * The assignee the body names: an account id, `null` for "unassigned", or
   * `undefined` when the body does not say.
   */
  assigneeAccountId?: string | null;
  /**
   * Every name the body gives the assignee: Cloud's `accountId`, Data
   * Center's username (`name`) and user key (`key`), the changelog's `to`.
   */
  assigneeAliases?: string[];
  /** Who triggered the rule (`user` or `initiator`), when the body says. */
  requester: Person | null;
  /** Set when the body is well formed but asks for nothing (a webhook that is no assignment). */
  ignoreReason?: string;
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
  // Data Center names users by username (`name`), else by user key.
  const accountId = optionalString(`${where}.accountId`, v.accountId, 200) ??
    optionalString(`${where}.name`, v.name, 200) ??
    optionalString(`${where}.key`, v.key, 200);
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

/** An assignee's names: `accountId` (Cloud), `name` and `key` (Data Center); first is primary. */
interface Assignee {
  primary: string | null | undefined;
  aliases: string[];
}

/** The assignee an issue object names (see {@link JiraRunRequest.assigneeAccountId}). */
function assigneeOf(where: string, fields: Obj): Assignee {
  if (!("assignee" in fields)) return { primary: undefined, aliases: [] };
  const a = fields.assignee;
  if (a === null) return { primary: null, aliases: [] };
  if (!isObject(a)) {
    throw new Invalid(
      "invalid_field",
      `${where}.assignee must be an object or null (got ${describe(a)})`,
    );
  }
  const ids = [
    optionalString(`${where}.assignee.accountId`, a.accountId, 200),
    optionalString(`${where}.assignee.name`, a.name, 200),
    optionalString(`${where}.assignee.key`, a.key, 200),
  ].filter((v): v is string => v !== undefined);
  if (ids.length === 0) {
    throw new Invalid(
      "invalid_field",
      `${where}.assignee must carry an accountId (Cloud) or a name (Data Center)`,
    );
  }
  return { primary: ids[0], aliases: [...new Set(ids)] };
}

function issueObject(where: string, issue: Obj): { issueKey: string; assignee: Assignee } {
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
  if (issue.fields === undefined) {
    return { issueKey: key, assignee: { primary: undefined, aliases: [] } };
  }
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
  'or "Issue data (Jira format)" ({"issue": {…}}), or a native jira:issue_updated webhook';

/** A native webhook (`webhookEvent`): a run only for an assignment in the changelog. */
function webhook(body: Obj): JiraRunRequest {
  const event = optionalString("webhookEvent", body.webhookEvent, 100);
  if (!isObject(body.issue)) {
    throw new Invalid("invalid_field", `issue must be an object (got ${describe(body.issue)})`);
  }
  const issue = issueObject("issue", body.issue);
  const base = { shape: "webhook" as const, issueKey: issue.issueKey, requester: requester(body) };
  if (event !== "jira:issue_updated") {
    return { ...base, ignoreReason: `a ${event ?? "nameless"} webhook is not an assignment` };
  }
  const changelog = body.changelog;
  if (changelog !== undefined && changelog !== null && !isObject(changelog)) {
    throw new Invalid("invalid_field", `changelog must be an object (got ${describe(changelog)})`);
  }
  const items = isObject(changelog) ? changelog.items : undefined;
  if (items !== undefined && !Array.isArray(items)) {
    throw new Invalid("invalid_field", `changelog.items must be an array (got ${describe(items)})`);
  }
  const change = (items ?? []).find((i) =>
    isObject(i) && (i.fieldId === "assignee" || (i.field === "assignee" && i.fieldtype === "jira"))
  ) as Obj | undefined;
  if (!change) {
    return {
      ...base,
      ignoreReason: `this update of ${issue.issueKey} did not change the assignee`,
    };
  }
  const to = optionalString("changelog.items[assignee].to", change.to, 200);
  if (to === undefined) return { ...base, assigneeAccountId: null, assigneeAliases: [] };
  // The changelog names the new assignee by user key (Data Center) or accountId (Cloud);
  // the issue's fields, when present, add the username.
  const aliases = [...new Set([...issue.assignee.aliases, to])];
  return { ...base, assigneeAccountId: issue.assignee.primary ?? to, assigneeAliases: aliases };
}

function parse(body: unknown): JiraRunRequest {
  if (!isObject(body)) {
    throw new Invalid(
      "invalid_body",
      `the body must be a JSON object (got ${describe(body)}); ${SHAPES_HINT}`,
    );
  }
  if ("webhookEvent" in body) return webhook(body);
  if ("issue" in body) {
    if (!isObject(body.issue)) {
      throw new Invalid("invalid_field", `issue must be an object (got ${describe(body.issue)})`);
    }
    const issue = issueObject("issue", body.issue);
    return {
      shape: "jira",
      issueKey: issue.issueKey,
      assigneeAccountId: issue.assignee.primary,
      assigneeAliases: issue.assignee.aliases,
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
      assigneeAccountId: issue.assignee.primary,
      assigneeAliases: issue.assignee.aliases,
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
