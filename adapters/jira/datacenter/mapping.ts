/**
 * Jira Data Center / Server REST v2 JSON → the port's types. Users are named
 * by `name` (the username; `key` when a body names no `name`), which the port
 * carries in `JiraUser.accountId`; bodies are wiki markup strings rendered to
 * Markdown-ish text; times are normalized to ISO-8601 UTC.
 *
 * @module
 */
import type {
  JiraComment,
  JiraIssue,
  JiraTransition,
  JiraTransitionField,
  JiraUser,
} from "../../../domain/ports/jira.ts";
import {
  type JiraDialect,
  type Json,
  obj,
  str,
  toCommentIn,
  toIsoTime,
  toIssueIn,
} from "../mapping.ts";
import { wikiToText } from "./wiki_to_text.ts";

/** The fields the client asks for on `GET /rest/api/2/issue/{key}`. */
export const DC_ISSUE_FIELDS = [
  "summary",
  "description",
  "status",
  "labels",
  "components",
  "assignee",
  "reporter",
  "issuetype",
  "updated",
] as const;

/** A v2 user (`{name, key, displayName, …}`) as a port user, or null when there is none. */
export function toDcUser(value: unknown): JiraUser | null {
  const u = obj(value);
  const name = str(u.name) || str(u.key);
  if (!name) return null;
  return { accountId: name, displayName: str(u.displayName, name) };
}

/** The Data Center dialect (REST v2): wiki markup, users by name. */
const DC_DIALECT: JiraDialect = { text: wikiToText, user: (v) => toDcUser(v) };

/** A v2 issue as a {@link JiraIssue}; `customFieldIds` are copied raw. */
export function toDcIssue(value: unknown, customFieldIds: readonly string[] = []): JiraIssue {
  return toIssueIn(value, customFieldIds, DC_DIALECT);
}

/** A v2 comment (`body` a wiki markup string) as a {@link JiraComment}. */
export function toDcComment(value: unknown): JiraComment {
  return toCommentIn(value, DC_DIALECT);
}

/** The `fields` map of a transition listed with `expand=transitions.fields`. */
export function toDcTransitionFields(value: unknown): JiraTransitionField[] | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  return Object.entries(value as Json).map(([id, raw]) => {
    const f = obj(raw);
    const field: JiraTransitionField = {
      id,
      name: str(f.name, id),
      required: f.required === true,
      schemaType: str(obj(f.schema).type),
    };
    if (Array.isArray(f.allowedValues)) {
      field.allowedValues = f.allowedValues.map((v) => {
        const a = obj(v);
        const out: { id: string; name?: string; value?: string } = { id: str(a.id) };
        if (typeof a.name === "string") out.name = a.name;
        if (typeof a.value === "string") out.value = a.value;
        return out;
      });
    }
    return field;
  });
}

/** One entry of v2 `transitions` as a {@link JiraTransition}. */
export function toDcTransition(value: unknown): JiraTransition {
  const json = obj(value);
  const to = obj(json.to);
  const transition: JiraTransition = {
    id: str(json.id),
    name: str(json.name),
    toStatus: str(to.name),
    toCategoryKey: str(obj(to.statusCategory).key),
  };
  const fields = toDcTransitionFields(json.fields);
  if (fields) transition.fields = fields;
  return transition;
}

/** An attachment of an issue (`fields.attachment[]`). */
export interface DcAttachment {
  id: string;
  filename: string;
  mimeType: string;
  size: number;
  /** Download URL (`/secure/attachment/{id}/{filename}`), fetched with the same auth. */
  contentUrl: string;
  author: JiraUser | null;
  created: string;
}

/** A link from an issue to another (`fields.issuelinks[]`), seen from the issue. */
export interface DcIssueLink {
  id: string;
  /** The link type's name, e.g. `Blocks`. */
  type: string;
  /** How the link reads from this issue, e.g. `blocks` or `is blocked by`. */
  relation: string;
  key: string;
  summary: string;
  status: string;
}

/** `fields.attachment` as {@link DcAttachment}s. */
export function toDcAttachments(value: unknown): DcAttachment[] {
  if (!Array.isArray(value)) return [];
  return value.map((raw) => {
    const a = obj(raw);
    return {
      id: str(a.id),
      filename: str(a.filename),
      mimeType: str(a.mimeType, "application/octet-stream"),
      size: typeof a.size === "number" ? a.size : 0,
      contentUrl: str(a.content),
      author: toDcUser(a.author),
      created: toIsoTime(a.created),
    };
  }).filter((a) => a.id !== "");
}

/** `fields.issuelinks` as {@link DcIssueLink}s. */
export function toDcIssueLinks(value: unknown): DcIssueLink[] {
  if (!Array.isArray(value)) return [];
  const out: DcIssueLink[] = [];
  for (const raw of value) {
    const l = obj(raw);
    const type = obj(l.type);
    const outward = "outwardIssue" in l;
    const other = obj(outward ? l.outwardIssue : l.inwardIssue);
    const fields = obj(other.fields);
    if (!str(other.key)) continue;
    out.push({
      id: str(l.id),
      type: str(type.name),
      relation: str(outward ? type.outward : type.inward),
      key: str(other.key),
      summary: str(fields.summary),
      status: str(obj(fields.status).name),
    });
  }
  return out;
}
