/**
 * A scripted "model" for the fake LLM server: a deterministic editor that acts
 * on instructions of the form `replace "old" with "new"` found in its task (the
 * ticket and the feedback). It searches for each old text, edits the first file
 * that has it, runs validation when offered, and finishes with a summary; with
 * no instruction it changes nothing and says so. Used by the end-to-end tests
 * and by `deno task demo`, through the real SDKs.
 *
 * @module
 */
import type { FakeLlmRequest, FakeReply, FakeTurn } from "./llm_server.ts";

/** One `replace "old" with "new"` instruction. */
export interface Replacement {
  from: string;
  to: string;
}

/** The instructions in a text, in order. */
export function replacementsIn(text: string): Replacement[] {
  const out: Replacement[] = [];
  const re = /replace\s+["“]([^"”\n]{1,200})["”]\s+with\s+["“]([^"”\n]{0,200})["”]/gi;
  for (const m of text.matchAll(re)) out.push({ from: m[1], to: m[2] });
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

type Message = { role: string; content: unknown };

/**
 * The conversation so far as [role, text] pairs, provider-neutral: Anthropic
 * and Chat Completions `messages`, or Responses `input` items (where one
 * assistant turn is a run of reasoning, message and function_call items).
 */
function conversation(body: Record<string, unknown>): { role: string; text: string }[] {
  if (Array.isArray(body.input)) return responsesConversation(body.input);
  const messages = (body.messages ?? []) as Message[];
  return messages.map((m) => ({ role: m.role, text: textOf(m.content) }));
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((b: { type?: string; text?: string; content?: unknown }) =>
    b.type === "text" || b.type === "input_text" || b.type === "output_text"
      ? b.text ?? ""
      : typeof b.content === "string"
      ? b.content
      : ""
  ).join("\n");
}

function responsesConversation(items: Record<string, unknown>[]): { role: string; text: string }[] {
  const out: { role: string; text: string }[] = [];
  for (const item of items) {
    const type = item.type ?? "message";
    if (type === "message" && item.role !== "assistant") {
      out.push({ role: String(item.role), text: textOf(item.content) });
    } else if (type === "function_call_output") {
      out.push({ role: "tool", text: String(item.output ?? "") });
    } else {
      const text = type === "message" ? textOf(item.content) : "";
      const last = out[out.length - 1];
      if (last?.role === "assistant") last.text += text;
      else out.push({ role: "assistant", text });
    }
  }
  return out;
}

/** The first path in a search result (`path:line: text`), or null. */
function firstHit(result: string): string | null {
  const line = result.split("\n").find((l) => /^[^\s:][^:]*:\d+: /.test(l));
  return line ? line.slice(0, line.indexOf(":")) : null;
}

let calls = 0;
const id = () => `call_${++calls}`;

/** The scripted editor's reply to one request. */
export function scriptedEditorReply(req: FakeLlmRequest): FakeReply {
  // Asked to review a change (the self-review before hand-over): it approves.
  if (req.toolNames.includes("submit_review")) {
    return {
      toolCalls: [{ id: id(), name: "submit_review", input: { approve: true, problems: [] } }],
    };
  }
  const turns = conversation(req.body);
  const task = turns.find((t) => t.role === "user")?.text ?? "";
  const assistantTurns = turns.filter((t) => t.role === "assistant").length;
  // Feedback comes after the ticket: act on the newest instructions first.
  const wanted = replacementsIn(task).reverse();
  // No usage given: the fake's own accounting applies (prompt caching included).
  const results = req.toolResults.map((r) => r.content);

  if (wanted.length === 0) {
    return {
      toolCalls: [{
        id: id(),
        name: "finish",
        input: {
          summary: "No change made\n\nThe ticket does not say what to change. " +
            'Describe the change, for example: replace "old text" with "new text".',
        },
      }],
    };
  }
  if (assistantTurns === 0) {
    return {
      toolCalls: wanted.map((r) => ({
        id: id(),
        name: "search",
        input: { pattern: escapeRegExp(r.from) },
      })),
    };
  }
  if (assistantTurns === 1) {
    const edits = wanted.flatMap((r, i) => {
      const path = firstHit(results[i] ?? "");
      return path
        ? [{ id: id(), name: "edit_file", input: { path, old_string: r.from, new_string: r.to } }]
        : [];
    });
    if (edits.length > 0) return { toolCalls: edits };
  }
  const edited = turns.some((t) => t.role === "assistant") &&
    JSON.stringify(req.body).includes("edit_file");
  if (req.toolNames.includes("run_validation") && assistantTurns === 2 && edited) {
    return { toolCalls: [{ id: id(), name: "run_validation", input: {} }] };
  }
  const done = wanted.map((r) => `"${r.from}" → "${r.to}"`).join(", ");
  return {
    toolCalls: [{
      id: id(),
      name: "finish",
      input: {
        summary: edited
          ? `Replace ${done}\n\nEdited the documentation as the ticket asks: ${done}.`
          : `No change made\n\nCould not find ${
            wanted.map((r) => `"${r.from}"`).join(", ")
          } in the repository.`,
      },
    }],
  };
}

/** A script of `n` turns of the scripted editor (enough for many runs). */
export function scriptedEditor(n = 10_000): FakeTurn[] {
  return Array.from({ length: n }, () => scriptedEditorReply);
}
