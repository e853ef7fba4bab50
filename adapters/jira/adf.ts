/**
 * Atlassian Document Format for the Jira adapter: read it as Markdown-ish text
 * ({@link adfToText}), write it from Markdown ({@link markdownToAdf}), and check
 * it ({@link validateAdf}).
 *
 * @module
 */
export type { AdfDoc, AdfMark, AdfNode } from "./adf_types.ts";
export { isAdfDoc } from "./adf_types.ts";
export { adfToText } from "./adf_to_text.ts";
export { markdownToAdf } from "./markdown_to_adf.ts";
export { validateAdf } from "./adf_validate.ts";
