/**
 * Prompt-cache accounting for the fake LLM, as the real services report it.
 *
 * Anthropic (API-NOTES §6): a request is a sequence of blocks (tools, system,
 * message content). Cache entries are written only at `cache_control`
 * breakpoints (at most 4; a top-level `cache_control` marks the last block),
 * a read is the longest cached prefix found at a breakpoint or up to 20 blocks
 * before one, and prefixes below the model's minimum are silently not cached.
 * `input_tokens` counts only what follows the last breakpoint.
 *
 * OpenAI (API-NOTES §10): automatic prefix caching per `prompt_cache_key`,
 * from 1,024 tokens, hits in steps of 128 tokens; new prefixes are written
 * (`cache_write_tokens`) and reused (`cached_tokens`).
 *
 * Tokens are estimated at one per four characters of each block's JSON.
 *
 * @module
 */

/** Tokens of a value, about one per four characters of its JSON. */
export function tokensOf(value: unknown): number {
  return Math.ceil(JSON.stringify(value ?? "").length / 4);
}

/** A 53-bit string hash (cyrb53), chained through `seed`. */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed, h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** One block of a request, for prefix accounting. */
export interface CacheBlock {
  /** The block's content without its cache marker, as a canonical string. */
  key: string;
  tokens: number;
  /** Whether it carries a breakpoint. */
  breakpoint: boolean;
}

/** Prefix sums and chained hashes of a block sequence. */
function prefixes(blocks: readonly CacheBlock[], seed: string): { t: number[]; h: string[] } {
  const t: number[] = [];
  const h: string[] = [];
  let tokens = 0;
  let hash = hash53(seed);
  for (const b of blocks) {
    tokens += b.tokens;
    hash = hash53(b.key, hash % 4294967296);
    t.push(tokens);
    h.push(`${hash}:${tokens}`);
  }
  return { t, h };
}

/** What one request reads from and writes to the cache. */
export interface CacheOutcome {
  totalTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Tokens billed at the plain input price. */
  uncachedTokens: number;
}

/** Anthropic's prompt cache: explicit breakpoints and a 20-block look-back. */
export class AnthropicPromptCache {
  readonly #entries = new Set<string>();
  constructor(readonly minCacheableTokens = 1024, readonly lookBack = 20) {}

  /** Accounts one request and records the prefixes it wrote. */
  account(blocks: readonly CacheBlock[], seed: string): CacheOutcome {
    const { t, h } = prefixes(blocks, seed);
    const total = t.length ? t[t.length - 1] : 0;
    const points = blocks.flatMap((b, i) => b.breakpoint ? [i] : []);
    let read = 0;
    for (const b of points) {
      for (let j = b; j >= Math.max(0, b - this.lookBack + 1); j--) {
        if (this.#entries.has(h[j])) {
          read = Math.max(read, t[j]);
          break;
        }
      }
    }
    let cachedEnd = read;
    for (const b of points) {
      if (t[b] < this.minCacheableTokens) continue;
      this.#entries.add(h[b]);
      cachedEnd = Math.max(cachedEnd, t[b]);
    }
    const write = Math.max(0, cachedEnd - read);
    return {
      totalTokens: total,
      cacheReadTokens: read,
      cacheWriteTokens: write,
      uncachedTokens: total - read - write,
    };
  }
}

/** OpenAI's automatic prefix cache, partitioned by `prompt_cache_key`. */
export class OpenAiPromptCache {
  readonly #entries = new Set<string>();
  constructor(readonly minCacheableTokens = 1024, readonly step = 128) {}

  /** Accounts one request and records its prefixes. */
  account(blocks: readonly CacheBlock[], cacheKey: string): CacheOutcome {
    const { t, h } = prefixes(blocks, `key:${cacheKey}`);
    const total = t.length ? t[t.length - 1] : 0;
    let read = 0;
    for (let j = t.length - 1; j >= 0; j--) {
      if (t[j] >= this.minCacheableTokens && this.#entries.has(h[j])) {
        read = this.minCacheableTokens +
          Math.floor((t[j] - this.minCacheableTokens) / this.step) * this.step;
        break;
      }
    }
    let write = 0;
    if (total >= this.minCacheableTokens) {
      for (let j = 0; j < t.length; j++) {
        if (t[j] >= this.minCacheableTokens) this.#entries.add(h[j]);
      }
      write = total - read;
    }
    return {
      totalTokens: total,
      cacheReadTokens: read,
      cacheWriteTokens: write,
      uncachedTokens: total - read - write,
    };
  }
}

/** The JSON of a block without its `cache_control` marker. */
export function withoutCacheControl(block: unknown): string {
  if (block && typeof block === "object" && !Array.isArray(block)) {
    const { cache_control: _, ...rest } = block as Record<string, unknown>;
    return JSON.stringify(rest);
  }
  return JSON.stringify(block);
}
