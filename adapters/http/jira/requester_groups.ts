/**
 * The Jira groups of a requester, for `JIRA_REQUESTER_GROUPS`: looked up
 * through the Jira port while the webhook waits, so bounded in time, and
 * cached for a few minutes (an Automation rule fires once per assignment, a
 * burst of them needs one lookup). A failed or late lookup answers null: the
 * request is then refused and the requester told to ask again (fail closed).
 *
 * @module
 */

/** Options of {@link cachedGroupLookup}. */
export interface GroupLookupOptions {
  /** How long an answer is reused; default 5 minutes. */
  ttlMs?: number;
  /** Longest wait for Jira; default 3 s. */
  timeoutMs?: number;
  now?: () => number;
}

/** Wraps a group lookup with a cache and a deadline; failures are not cached. */
export function cachedGroupLookup(
  lookup: (accountId: string) => Promise<string[]>,
  options: GroupLookupOptions = {},
): (accountId: string) => Promise<string[] | null> {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { groups: string[]; until: number }>();
  return async (accountId) => {
    const hit = cache.get(accountId);
    if (hit && hit.until > now()) return hit.groups;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      const groups = await Promise.race([lookup(accountId).catch(() => null), late]);
      if (groups !== null) cache.set(accountId, { groups, until: now() + ttlMs });
      return groups;
    } finally {
      clearTimeout(timer);
    }
  };
}
