/**
 * Finding where a failed `edit_file` meant to edit: the window of file lines
 * most similar to the `old_string` the model sent, line by line, so the answer
 * can show the model the real text to copy.
 *
 * @module
 */
import { splitLines } from "./text.ts";

/** The closest window of lines. */
export interface ClosestLines {
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  /** Mean line similarity, 0 (nothing alike) to 1 (identical). */
  score: number;
  lines: string[];
}

/** Most line comparisons one search may make (bounds the time on big files). */
const MAX_COMPARISONS = 1_500_000;

/** The window of `text`'s lines most like `wanted`'s lines, or null when either is empty. */
export function closestLines(text: string, wanted: string): ClosestLines | null {
  const fileLines = splitLines(text);
  const wantedLines = splitLines(wanted);
  while (wantedLines.length > 1 && wantedLines[0].trim() === "") wantedLines.shift();
  if (fileLines.length === 0 || wantedLines.length === 0) return null;

  const window = Math.min(wantedLines.length, fileLines.length);
  const starts = fileLines.length - window + 1;
  // Compare only as many of the wanted lines as the bound allows.
  const compared = Math.max(1, Math.min(window, Math.floor(MAX_COMPARISONS / starts)));
  const grams = new Map<string, Map<string, number>>();
  const gramsOf = (line: string) => {
    let g = grams.get(line);
    if (!g) grams.set(line, g = bigrams(line));
    return g;
  };

  let best = { start: 0, score: -1 };
  for (let start = 0; start < starts; start++) {
    let sum = 0;
    for (let j = 0; j < compared; j++) {
      sum += similarity(fileLines[start + j], wantedLines[j], gramsOf);
    }
    const score = sum / compared;
    if (score > best.score) best = { start, score };
    if (score === 1) break;
  }
  return {
    startLine: best.start + 1,
    endLine: best.start + window,
    score: best.score,
    lines: fileLines.slice(best.start, best.start + window),
  };
}

/** Similarity of two lines: 1 when equal, a little less when only whitespace differs. */
export function lineSimilarity(a: string, b: string): number {
  return similarity(a, b, bigrams);
}

function similarity(
  a: string,
  b: string,
  gramsOf: (line: string) => Map<string, number>,
): number {
  if (a === b) return 1;
  const ta = a.trim();
  const tb = b.trim();
  if (ta === tb) return 0.95;
  if (ta.replace(/\s+/g, "") === tb.replace(/\s+/g, "")) return 0.9;
  if (ta.length < 2 || tb.length < 2) return 0;
  return dice(gramsOf(ta), gramsOf(tb), ta.length - 1 + tb.length - 1);
}

/** Dice's coefficient over character bigrams. */
function dice(a: Map<string, number>, b: Map<string, number>, total: number): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let common = 0;
  for (const [gram, count] of small) common += Math.min(count, large.get(gram) ?? 0);
  return (2 * common) / total;
}

function bigrams(line: string): Map<string, number> {
  const text = line.trim();
  const out = new Map<string, number>();
  for (let i = 0; i < text.length - 1; i++) {
    const gram = text.slice(i, i + 2);
    out.set(gram, (out.get(gram) ?? 0) + 1);
  }
  return out;
}
