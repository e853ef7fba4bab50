/**
 * Keeping a Markdown text within a service's size limit (a Jira comment, a
 * pull request body) without losing what matters: the head (what was done)
 * and the tail (links, the run marker), with a clear marker where the middle
 * was cut. Pure.
 *
 * @module
 */

/** The marker put where text was left out; `omitted` is the number of characters cut. */
export function shortenedMarker(omitted: number): string {
  return `**… shortened: ${omitted.toLocaleString("en-US")} characters left out here to keep ` +
    `within the size limit …**`;
}

const FENCE = /^\s{0,3}(```|~~~)/;

function openFence(lines: readonly string[]): string | null {
  let open: string | null = null;
  for (const line of lines) {
    const m = FENCE.exec(line);
    if (!m) continue;
    if (open === null) open = m[1];
    else if (m[1] === open) open = null;
  }
  return open;
}

/** The first `max` characters of `text`, cut back to a line end when one is near. */
function headOf(text: string, max: number): string {
  const cut = text.slice(0, Math.max(0, max));
  const nl = cut.lastIndexOf("\n");
  return nl >= cut.length / 2 ? cut.slice(0, nl) : cut;
}

/** The last `max` characters of `text`, cut forward to a line start when one is near. */
function tailOf(text: string, max: number): string {
  const cut = max <= 0 ? "" : text.slice(-max);
  const nl = cut.indexOf("\n");
  return nl >= 0 && nl <= cut.length / 2 ? cut.slice(nl + 1) : cut;
}

/**
 * `text` when it is at most `maxChars` long; otherwise its head and its tail
 * (a third of the room, at most `tailMax`), cut at line boundaries, joined by
 * {@link shortenedMarker}, and at most `maxChars` long. A code fence the cut
 * leaves open is closed in the head and reopened in the tail, so the tail
 * still renders as it did.
 */
export function shortenMiddle(text: string, maxChars: number, tailMax = 4000): string {
  if (text.length <= maxChars) return text;
  const room = Math.max(0, maxChars - 200);
  const tailBudget = Math.min(tailMax, Math.floor(room / 3));
  let tail = tailOf(text, tailBudget);
  let head = headOf(text, room - tail.length);
  const headFence = openFence(head.split("\n"));
  if (headFence) head = `${head}\n${headFence}`;
  const rest = text.slice(0, text.length - tail.length);
  const tailFence = openFence(rest.split("\n"));
  if (tailFence) tail = `${tailFence}\n${tail}`;
  const omitted = Math.max(0, text.length - head.length - tail.length);
  const out = `${head}\n\n${shortenedMarker(omitted)}\n\n${tail}`;
  if (out.length <= maxChars) return out;
  // Only reached for tiny limits: cut hard, keeping the marker.
  return out.slice(0, maxChars);
}
