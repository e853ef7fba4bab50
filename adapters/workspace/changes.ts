/**
 * What the tools changed in a worktree: each touched file's content before its
 * first change, so the changed files and the size of the change (an
 * approximation of the diff: bytes of the lines removed plus the lines added)
 * can be told at any time.
 *
 * @module
 */
import { decodeText, splitLines } from "./text.ts";

/** Largest original kept in memory for diff sizing; bigger ones count whole. */
const MAX_KEPT_BYTES = 2 * 1024 * 1024;

interface Original {
  /** null: the file did not exist. */
  bytes: Uint8Array | null;
  size: number;
  hash: string | null;
  /** False when too big to keep: the diff counts old and new sizes whole. */
  kept: boolean;
}

/** Tracks the files the tools touched. */
export class ChangeTracker {
  readonly #originals = new Map<string, Original>();

  constructor(private readonly absolute: (rel: string) => string) {}

  /** Records a file's content before the first change to it. */
  async before(rel: string): Promise<void> {
    if (this.#originals.has(rel)) return;
    const bytes = await readIfFile(this.absolute(rel));
    this.#originals.set(rel, {
      bytes: bytes && bytes.length <= MAX_KEPT_BYTES ? bytes : null,
      size: bytes?.length ?? 0,
      hash: bytes ? await sha256(bytes) : null,
      kept: !bytes || bytes.length <= MAX_KEPT_BYTES,
    });
  }

  /** Files whose content now differs from before, sorted. */
  async filesChanged(): Promise<string[]> {
    const changed: string[] = [];
    for (const [rel, original] of this.#originals) {
      const now = await readIfFile(this.absolute(rel));
      const hash = now ? await sha256(now) : null;
      if (hash !== original.hash) changed.push(rel);
    }
    return changed.sort();
  }

  /** Approximate diff size in bytes over all touched files. */
  async diffBytes(): Promise<number> {
    let total = 0;
    for (const [rel, original] of this.#originals) {
      const now = await readIfFile(this.absolute(rel));
      if (!original.kept) {
        const hash = now ? await sha256(now) : null;
        if (hash !== original.hash) total += original.size + (now?.length ?? 0);
        continue;
      }
      total += lineDiffBytes(
        original.bytes ? decodeText(original.bytes) : "",
        now ? decodeText(now) : "",
      );
    }
    return total;
  }
}

/** Bytes of the lines only in `before` plus the lines only in `after` (as multisets). */
export function lineDiffBytes(before: string, after: string): number {
  const counts = new Map<string, number>();
  for (const line of splitLines(before)) counts.set(line, (counts.get(line) ?? 0) + 1);
  let bytes = 0;
  const encoder = new TextEncoder();
  for (const line of splitLines(after)) {
    const left = counts.get(line) ?? 0;
    if (left > 0) counts.set(line, left - 1);
    else bytes += encoder.encode(line).length + 1;
  }
  for (const [line, left] of counts) bytes += left * (encoder.encode(line).length + 1);
  return bytes;
}

async function readIfFile(path: string): Promise<Uint8Array | null> {
  try {
    const info = await Deno.lstat(path);
    return info.isFile ? await Deno.readFile(path) : null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw error;
  }
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
