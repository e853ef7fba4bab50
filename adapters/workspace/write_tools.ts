/**
 * The changing tools: `write_file`, `edit_file` (exact, unique match; on a
 * miss it shows the closest real lines, on several matches where they are),
 * `delete_file`. Every change is recorded by the change tracker first.
 *
 * @module
 */
import type { ToolOutcome } from "../../domain/agent/tool_executor.ts";
import { closestLines } from "./closest.ts";
import { fail, ok, type ToolContext } from "./context.ts";
import { stringField } from "./input.ts";
import { readTextFile } from "./read_tools.ts";
import { clipLine, lineAt, occurrences, splitLines, utf8Length } from "./text.ts";

/** `write_file {path, content}` */
export async function writeFile(
  ctx: ToolContext,
  input: Record<string, unknown>,
): Promise<ToolOutcome> {
  const content = stringField(input, "content", true);
  if (!content.ok) return fail(content.error);
  const text = content.value!;
  const bytes = utf8Length(text);
  if (bytes > ctx.limits.maxWriteBytes) {
    return fail(`content is ${bytes} bytes, over the ${ctx.limits.maxWriteBytes}-byte limit`);
  }
  const path = await ctx.root.resolve(input.path);
  if (!path.ok) return fail(path.error);
  if (path.kind === "directory") return fail(`"${path.rel}" is a directory`);

  await ctx.changes.before(path.rel);
  const parent = path.abs.slice(0, path.abs.lastIndexOf("/"));
  await Deno.mkdir(parent, { recursive: true });
  await Deno.writeTextFile(path.abs, text);
  const verb = path.kind === "missing" ? "Created" : "Replaced";
  return ok(`${verb} ${path.rel} (${splitLines(text).length} lines, ${bytes} bytes).`);
}

/** `edit_file {path, old_string, new_string}` */
export async function editFile(
  ctx: ToolContext,
  input: Record<string, unknown>,
): Promise<ToolOutcome> {
  const oldField = stringField(input, "old_string", true);
  if (!oldField.ok) return fail(oldField.error);
  const newField = stringField(input, "new_string", true);
  if (!newField.ok) return fail(newField.error);
  let oldString = oldField.value!;
  let newString = newField.value!;
  if (oldString === "") {
    return fail("`old_string` is empty; to create or replace a whole file use write_file");
  }
  if (oldString === newString) return fail("`old_string` and `new_string` are the same");
  const file = await readTextFile(ctx, input.path);
  if (!file.ok) return fail(file.error);

  let found = occurrences(file.text, oldString);
  if (found.length === 0 && file.text.includes("\r\n") && !oldString.includes("\r")) {
    // The model writes "\n"; the file uses CRLF. Match and replace in its style.
    const crlfOld = oldString.replaceAll("\n", "\r\n");
    const crlfFound = occurrences(file.text, crlfOld);
    if (crlfFound.length > 0) {
      oldString = crlfOld;
      newString = newString.replaceAll("\r\n", "\n").replaceAll("\n", "\r\n");
      found = crlfFound;
    }
  }
  if (found.length === 0) return fail(notFound(ctx, file.rel, file.text, oldString));
  if (found.length > 1) {
    const lines = found.slice(0, 20).map((i) => lineAt(file.text, i));
    const more = found.length > 20 ? `, and ${found.length - 20} more` : "";
    return fail(
      `old_string occurs ${found.length} times in ${file.rel} (starting at lines ` +
        `${lines.join(", ")}${more}); include more surrounding lines so it matches exactly once`,
    );
  }
  const updated = file.text.slice(0, found[0]) + newString +
    file.text.slice(found[0] + oldString.length);
  const size = utf8Length(updated);
  if (size > ctx.limits.maxWriteBytes) {
    return fail(`the edited file would be ${size} bytes, over the limit`);
  }
  await ctx.changes.before(file.rel);
  await Deno.writeTextFile(file.abs, updated);
  const line = lineAt(file.text, found[0]);
  return ok(`Edited ${file.rel} at line ${line}.`);
}

function notFound(ctx: ToolContext, rel: string, text: string, oldString: string): string {
  const head = `old_string was not found in ${rel}.`;
  const closest = closestLines(text, oldString);
  if (!closest || closest.score < 0.3) {
    return `${head} Nothing in the file looks like it; read the file to see its content.`;
  }
  const shown = closest.lines
    .slice(0, 40)
    .map((l, i) => `${closest.startLine + i}\t${clipLine(l, ctx.limits.maxLineChars)}`)
    .join("\n");
  const more = closest.lines.length > 40 ? "\n[…]" : "";
  return `${head} The closest text is lines ${closest.startLine}-${closest.endLine} ` +
    `(${Math.round(closest.score * 100)}% similar):\n${shown}${more}\n` +
    "Copy the exact text from the file (without the line numbers and the tab after them) " +
    "into old_string and retry.";
}

/** `delete_file {path}` */
export async function deleteFile(
  ctx: ToolContext,
  input: Record<string, unknown>,
): Promise<ToolOutcome> {
  const path = await ctx.root.resolve(input.path);
  if (!path.ok) return fail(path.error);
  if (path.kind === "missing") return fail(`"${path.rel}" does not exist`);
  if (path.kind === "directory") {
    return fail(`"${path.rel}" is a directory; delete the files in it one by one`);
  }
  await ctx.changes.before(path.rel);
  await Deno.remove(path.abs);
  return ok(`Deleted ${path.rel}.`);
}
