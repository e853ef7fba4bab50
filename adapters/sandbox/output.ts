/**
 * Output of a sandboxed command kept within a bound: the first and the last
 * bytes (errors tend to be at either end), however much the command prints.
 *
 * @module
 */

/** Collects chunks, keeping a head and a tail of at most `max` bytes together. */
export class BoundedOutput {
  readonly #headMax: number;
  readonly #tailMax: number;
  #head: Uint8Array[] = [];
  #headSize = 0;
  #tail: Uint8Array[] = [];
  #tailSize = 0;
  #total = 0;

  constructor(max: number) {
    this.#headMax = Math.floor(max / 4);
    this.#tailMax = max - this.#headMax;
  }

  /** Adds a chunk. */
  push(chunk: Uint8Array): void {
    this.#total += chunk.length;
    let rest = chunk;
    if (this.#headSize < this.#headMax) {
      const take = Math.min(this.#headMax - this.#headSize, rest.length);
      this.#head.push(rest.slice(0, take));
      this.#headSize += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    this.#tail.push(rest.slice(-this.#tailMax));
    this.#tailSize += Math.min(rest.length, this.#tailMax);
    while (this.#tail.length > 1 && this.#tailSize - this.#tail[0].length >= this.#tailMax) {
      this.#tailSize -= this.#tail.shift()!.length;
    }
  }

  /** True when bytes between the head and the tail were dropped. */
  get truncated(): boolean {
    return this.#total > this.#headSize + Math.min(this.#tailSize, this.#tailMax);
  }

  /** The kept text, with a marker where the middle was cut. */
  text(): string {
    const decoder = new TextDecoder("utf-8", { fatal: false });
    const head = decoder.decode(concat(this.#head));
    let tail = concat(this.#tail);
    if (tail.length > this.#tailMax) tail = tail.subarray(tail.length - this.#tailMax);
    const cut = this.#total - this.#headSize - tail.length;
    const tailText = new TextDecoder("utf-8", { fatal: false }).decode(tail);
    return cut > 0 ? `${head}\n[… ${cut} bytes cut …]\n${tailText}` : head + tailText;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads a stream into `sink` until it ends or `stop` resolves (then cancels it). */
export async function drain(
  stream: ReadableStream<Uint8Array>,
  sink: BoundedOutput,
  stop: Promise<void>,
): Promise<void> {
  const reader = stream.getReader();
  let stopped = false;
  stop.then(() => {
    stopped = true;
    reader.cancel().catch(() => {});
  });
  try {
    while (!stopped) {
      const { done, value } = await reader.read();
      if (done) break;
      sink.push(value);
    }
  } catch {
    // cancelled or broken pipe: what was read is kept
  } finally {
    reader.releaseLock();
  }
}
