/**
 * Jira REST v3 JSON → the port's types: issues (`IssueBean`), comments
 * (`Comment`), transitions (`Transitions`) and users. Tolerant of missing
 * fields; bodies are rendered from ADF to text; times are normalized from
 * Jira's `2024-05-01T09:30:00.000+0000` to ISO-8601 UTC.
 *
 * @module
 */
import type {
  JiraAttachment,
  JiraComment,
  JiraIssue,
  JiraIssueBrief,
  JiraIssueLink,
  JiraIssueRef,
  JiraTransition,
  JiraTransitionField,
  JiraUser,
} from "../../domain/ports/jira.ts";
import { adfToText } from "./adf_to_text.ts";

/** A JSON object as Jira sends it. */
export type Json = Record<string, unknown>;

/** The value when it is a JSON object, else an empty one (Jira's answers are untrusted). */
export function obj(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value as Json : {};
}

/** The value as a string (numbers too), else `fallback`. */
export function str(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : fallback;
}

/** The fields the client asks for on `GET /issue/{key}`. */
export const ISSUE_FIELDS = [
  "summary",
  "description",
  "status",
  "labels",
  "components",
  "assignee",
  "reporter",
  "issuetype",
  "updated",
  "attachment",
  "issuelinks",
  "parent",
  "subtasks",
] as const;

/** The fields the client asks for when reading related issues briefly. */
export const BRIEF_FIELDS = ["summary", "status", "issuetype", "description"] as const;

/** Most attachments, links and sub-tasks kept from one issue (Jira allows 2,000 of each). */
export const MAX_RELATED = 200;

/**
 * A Jira time as ISO-8601 UTC. Jira writes offsets without a colon
 * (`+0000`); the original string is kept when it cannot be read.
 */
export function toIsoTime(value: unknown): string {
  const text = str(value);
  if (!text) return "";
  const withColon = text.replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  const ms = Date.parse(withColon);
  return Number.isNaN(ms) ? text : new Date(ms).toISOString();
}

/** A user object, or null when there is none. */
export function toUser(value: unknown): JiraUser | null {
  const u = obj(value);
  const accountId = str(u.accountId);
  if (!accountId) return null;
  return { accountId, displayName: str(u.displayName, accountId) };
}

/**
 * How a deployment writes text and people: Jira Cloud in ADF with accountIds,
 * Data Center in wiki markup with usernames. The rest of an issue reads the same.
 */
export interface JiraDialect {
  text: (value: unknown) => string;
  user: (value: unknown) => JiraUser | null;
}

/** The Cloud dialect (REST v3). */
export const CLOUD_DIALECT: JiraDialect = { text: adfToText, user: (v) => toUser(v) };

/** The parts of an issue both deployments send alike, read in the given dialect. */
export function toIssueIn(
  value: unknown,
  customFieldIds: readonly string[],
  dialect: JiraDialect,
): JiraIssue {
  const json = obj(value);
  const fields = obj(json.fields);
  const status = obj(fields.status);
  const issue: JiraIssue = {
    key: str(json.key),
    id: str(json.id),
    summary: str(fields.summary),
    descriptionText: dialect.text(fields.description),
    status: { name: str(status.name), categoryKey: str(obj(status.statusCategory).key) },
    labels: Array.isArray(fields.labels) ? fields.labels.filter((l) => typeof l === "string") : [],
    components: Array.isArray(fields.components)
      ? fields.components.map((c) => str(obj(c).name)).filter((n) => n !== "")
      : [],
    assignee: dialect.user(fields.assignee),
    updated: toIsoTime(fields.updated),
  };
  const issueType = str(obj(fields.issuetype).name);
  if (issueType) issue.issueType = issueType;
  if ("reporter" in fields) issue.reporter = dialect.user(fields.reporter);
  if (customFieldIds.length > 0) {
    issue.customFields = Object.fromEntries(
      customFieldIds.map((id) => [id, fields[id] === undefined ? null : fields[id]]),
    );
  }
  return issue;
}

/** An `IssueBean` as a {@link JiraIssue}; `customFieldIds` are copied raw. */
export function toIssue(value: unknown, customFieldIds: readonly string[] = []): JiraIssue {
  const fields = obj(obj(value).fields);
  const issue = toIssueIn(value, customFieldIds, CLOUD_DIALECT);
  issue.attachments = list(fields.attachment).map(toAttachment)
    .filter((a): a is JiraAttachment => a !== null).slice(0, MAX_RELATED);
  issue.links = list(fields.issuelinks).map(toIssueLink)
    .filter((l): l is JiraIssueLink => l !== null).slice(0, MAX_RELATED);
  const parent = toIssueRef(fields.parent);
  if (parent) issue.parent = parent;
  const subtasks = list(fields.subtasks).map(toIssueRef)
    .filter((r): r is JiraIssueRef => r !== null).slice(0, MAX_RELATED);
  if (subtasks.length > 0) issue.subtasks = subtasks;
  return issue;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** One `fields.attachment[]` entry, or null without an id. */
export function toAttachment(value: unknown): JiraAttachment | null {
  const json = obj(value);
  const id = str(json.id);
  if (!id) return null;
  const size = typeof json.size === "number" && Number.isFinite(json.size) && json.size >= 0
    ? json.size
    : 0;
  return {
    id,
    filename: str(json.filename, `attachment-${id}`),
    mimeType: str(json.mimeType, "application/octet-stream"),
    size,
    created: toIsoTime(json.created),
    author: toUser(json.author),
  };
}

/** An issue as a link, the parent or a sub-task carries it (`{key, fields{summary,status,issuetype}}`). */
export function toIssueRef(value: unknown): JiraIssueRef | null {
  const json = obj(value);
  const key = str(json.key);
  if (!key) return null;
  const fields = obj(json.fields);
  return {
    key,
    summary: str(fields.summary),
    status: str(obj(fields.status).name),
    issueType: str(obj(fields.issuetype).name),
  };
}

/**
 * One `issuelinks[]` entry: an `outwardIssue` means this issue is the link's
 * source (`type.outward`, "blocks"), an `inwardIssue` that it is the target
 * (`type.inward`, "is blocked by").
 */
export function toIssueLink(value: unknown): JiraIssueLink | null {
  const json = obj(value);
  const type = obj(json.type);
  const outward = toIssueRef(json.outwardIssue);
  const inward = toIssueRef(json.inwardIssue);
  if (outward) {
    return { ...outward, type: str(type.outward, str(type.name)), direction: "outward" };
  }
  if (inward) return { ...inward, type: str(type.inward, str(type.name)), direction: "inward" };
  return null;
}

/** A search result issue as a {@link JiraIssueBrief}, its description cut to `chars`. */
export function toIssueBrief(value: unknown, chars: number): JiraIssueBrief | null {
  const ref = toIssueRef(value);
  if (!ref) return null;
  const text = adfToText(obj(obj(value).fields).description).trim();
  const description = text.length > chars ? `${text.slice(0, Math.max(0, chars - 1))}…` : text;
  return { ...ref, description };
}

/** A `Comment` as a {@link JiraComment}. */
export function toComment(value: unknown): JiraComment {
  return toCommentIn(value, CLOUD_DIALECT);
}

/** A comment read in the given dialect (its body is ADF or wiki markup). */
export function toCommentIn(value: unknown, dialect: JiraDialect): JiraComment {
  const json = obj(value);
  const created = toIsoTime(json.created);
  return {
    id: str(json.id),
    author: dialect.user(json.author) ?? { accountId: "", displayName: "Anonymous" },
    bodyText: dialect.text(json.body),
    created,
    updated: toIsoTime(json.updated) || created,
  };
}

/**
 * One entry of `Transitions.transitions` as a {@link JiraTransition}; its
 * screen's `fields` (an object keyed by field id, listed with
 * `expand=transitions.fields`) become a list, absent when Jira sent none.
 */
export function toTransition(value: unknown): JiraTransition {
  const json = obj(value);
  const to = obj(json.to);
  const transition: JiraTransition = {
    id: str(json.id),
    name: str(json.name),
    toStatus: str(to.name),
    toCategoryKey: str(obj(to.statusCategory).key),
  };
  if (typeof json.fields === "object" && json.fields !== null && !Array.isArray(json.fields)) {
    transition.fields = Object.entries(json.fields as Json).map(([id, raw]) =>
      toTransitionField(id, raw)
    );
  }
  return transition;
}

/** One `FieldMetadata` of a transition screen. */
export function toTransitionField(id: string, value: unknown): JiraTransitionField {
  const json = obj(value);
  const field: JiraTransitionField = {
    id,
    name: str(json.name, id),
    required: json.required === true,
    schemaType: str(obj(json.schema).type),
  };
  if (Array.isArray(json.allowedValues)) {
    field.allowedValues = json.allowedValues.map((raw) => {
      const v = obj(raw);
      const out: { id: string; name?: string; value?: string } = { id: str(v.id) };
      if (typeof v.name === "string") out.name = v.name;
      if (typeof v.value === "string") out.value = v.value;
      return out;
    }).filter((v) => v.id !== "");
  }
  return field;
}
