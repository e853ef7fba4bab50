/**
 * Jira Cloud refuses a comment over 32,767 characters (400, `errors.comment`:
 * "The entered text is too long. It exceeds the allowed limit of 32767
 * characters."). Which length of an ADF body Jira measures is not documented,
 * so the runner measures the most it could be: the serialized ADF JSON. A
 * longer comment is shortened in the middle (head and tail kept: the tail holds
 * the links and the run marker) until its ADF fits; the fake Jira measures the
 * same way.
 *
 * @module
 */
import { shortenMiddle } from "../../domain/shorten.ts";
import type { AdfDoc } from "./adf_types.ts";
import { markdownToAdf } from "./markdown_to_adf.ts";

/** Jira Cloud's comment limit, in characters. */
export const JIRA_COMMENT_LIMIT = 32_767;

/** Jira's own words for a comment over the limit. */
export const JIRA_COMMENT_TOO_LONG =
  `The entered text is too long. It exceeds the allowed limit of ${JIRA_COMMENT_LIMIT} characters.`;

/** The size Jira is held to for an ADF body: its JSON's length. */
export function adfSize(doc: unknown): number {
  return JSON.stringify(doc).length;
}

/** A comment ready to post: its ADF, and whether its Markdown had to be shortened. */
export interface FittedComment {
  adf: AdfDoc;
  shortened: boolean;
}

/** `markdown` as ADF within `limit` (default Jira's), shortened in the middle when needed. */
export function fitComment(markdown: string, limit = JIRA_COMMENT_LIMIT): FittedComment {
  let adf = markdownToAdf(markdown);
  if (adfSize(adf) <= limit) return { adf, shortened: false };
  let target = markdown.length;
  for (let attempt = 0; attempt < 12; attempt++) {
    // ADF is longer than its Markdown by a ratio that depends on the markup: aim below it.
    const ratio = limit / adfSize(adf);
    target = Math.floor(Math.min(target * ratio * 0.95, target * 0.9));
    adf = markdownToAdf(shortenMiddle(markdown, target, Math.floor(target / 3)));
    if (adfSize(adf) <= limit) return { adf, shortened: true };
  }
  // Pathological markup (say, thousands of one-character table cells): plain text fits.
  const plain = shortenMiddle(markdown.replace(/[|*_`#>[\]~]/g, " "), Math.floor(limit / 3));
  return { adf: markdownToAdf(plain), shortened: true };
}
