/**
 * The workspace tools as the model sees them: names, descriptions and JSON
 * Schemas of their inputs. The same set for every provider (DESIGN §5).
 *
 * @module
 */
import type { ToolDefinition } from "../../domain/ports/llm.ts";

/** Names of the workspace tools. */
export type WorkspaceToolName =
  | "list_files"
  | "read_file"
  | "search"
  | "write_file"
  | "edit_file"
  | "delete_file"
  | "run_command"
  | "run_validation"
  | "finish";

const path = (what: string) => ({
  type: "string",
  description: `${what}, relative to the repository root (forward slashes, no "..").`,
});

/** The JSON Schema of each tool's input. */
export const WORKSPACE_TOOL_SCHEMAS: Readonly<Record<WorkspaceToolName, Record<string, unknown>>> =
  {
    list_files: {
      type: "object",
      properties: { path: path("Directory to list (default: the whole repository)") },
      additionalProperties: false,
    },
    read_file: {
      type: "object",
      properties: {
        path: path("File to read"),
        offset: { type: "integer", minimum: 1, description: "First line to show (1-based)." },
        limit: { type: "integer", minimum: 1, description: "Most lines to show." },
      },
      required: ["path"],
      additionalProperties: false,
    },
    search: {
      type: "object",
      properties: {
        pattern: {
          type: "string",
          description: "Regular expression in ripgrep's (Rust) syntax; a literal string if it " +
            "is not valid.",
        },
        path: path("Directory or file to search (default: the whole repository)"),
      },
      required: ["pattern"],
      additionalProperties: false,
    },
    write_file: {
      type: "object",
      properties: {
        path: path("File to create or replace"),
        content: { type: "string", description: "The complete new content of the file." },
      },
      required: ["path", "content"],
      additionalProperties: false,
    },
    edit_file: {
      type: "object",
      properties: {
        path: path("File to edit"),
        old_string: {
          type: "string",
          description: "Exact text to replace; must occur exactly once in the file.",
        },
        new_string: { type: "string", description: "The text to put in its place." },
      },
      required: ["path", "old_string", "new_string"],
      additionalProperties: false,
    },
    delete_file: {
      type: "object",
      properties: { path: path("File to delete") },
      required: ["path"],
      additionalProperties: false,
    },
    run_command: {
      type: "object",
      properties: {
        command: {
          type: "string",
          description: "A shell command line (sh -c), run in the repository root.",
        },
        timeoutSeconds: {
          type: "integer",
          minimum: 1,
          description: "Seconds it may run (default 120, at most 600).",
        },
      },
      required: ["command"],
      additionalProperties: false,
    },
    run_validation: { type: "object", properties: {}, additionalProperties: false },
    finish: {
      type: "object",
      properties: {
        summary: {
          type: "string",
          description: "What you changed and why, for the reviewer (a few sentences).",
        },
      },
      required: ["summary"],
      additionalProperties: false,
    },
  };

const DESCRIPTIONS: Record<WorkspaceToolName, string> = {
  list_files: "List the files under a directory of the repository (recursive, bounded; " +
    "skips .git).",
  read_file: "Read a text file. Lines are shown as `<number>\\t<text>`; the numbers are not " +
    "part of the file. Use offset and limit to page through long files.",
  search: "Search file contents for a pattern; answers `path:line: text` for each match " +
    "(bounded; skips .git, git-ignored and binary files).",
  write_file: "Create a file or replace its whole content. Prefer edit_file for changes to " +
    "an existing file.",
  edit_file: "Replace one exact occurrence of old_string with new_string in a file. " +
    "old_string must match the file exactly (whitespace included) and occur once; " +
    "include enough surrounding lines to make it unique.",
  delete_file: "Delete a file.",
  run_command: "Run one shell command in the repository (a single test, a type check, a " +
    "formatter, git diff) and get its exit code and output (head and tail when long). It " +
    "runs in a sandbox: no network, nothing outside the repository, a fresh HOME and /tmp; " +
    "the whole process tree is killed at the timeout.",
  run_validation: "Run the repository's validation commands (build, lint, tests) and get " +
    "their result and output.",
  finish: "Call once the task is done, with a summary of the changes. Ends the session.",
};

/** The workspace tools' definitions, in a stable order. */
export const WORKSPACE_TOOL_DEFINITIONS: readonly ToolDefinition[] = (
  Object.keys(WORKSPACE_TOOL_SCHEMAS) as WorkspaceToolName[]
).map((name) => ({
  name,
  description: DESCRIPTIONS[name],
  inputSchema: WORKSPACE_TOOL_SCHEMAS[name],
}));
