/**
 * Who the client is: the TCP peer, or, when the peer is a trusted proxy, the
 * right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
 * Entries left of that one were written by the client and are never believed.
 *
 * @module
 */
import {
  anyContains,
  type Cidr,
  formatIp,
  type IpBytes,
  parseForwardedAddress,
  parseIp,
} from "./cidr.ts";

/** The client of a request, as far as it can be trusted. */
export interface ClientAddress {
  /** Canonical address text (`unknown` without a peer, `invalid` for an unparsable hop). */
  readonly text: string;
  /** The address bytes; null when unknown or unparsable (never allowed by an allow-list). */
  readonly ip: IpBytes | null;
}

/** Hops of `X-Forwarded-For` examined at most, from the right. */
export const MAX_FORWARDED_HOPS = 32;

/** The client when nothing is known about the peer (e.g. `app.request()` in tests). */
export const UNKNOWN_CLIENT: ClientAddress = { text: "unknown", ip: null };

/**
 * Resolves the client address of a request from its peer address and its
 * `X-Forwarded-For` header, believing the header only from trusted proxies.
 */
export function resolveClient(
  peer: string | undefined,
  forwardedFor: string | null | undefined,
  trustedProxies: readonly Cidr[],
): ClientAddress {
  const peerIp = peer ? parseIp(peer) : null;
  if (!peerIp) return peer ? { text: "invalid", ip: null } : UNKNOWN_CLIENT;
  const direct = { text: formatIp(peerIp), ip: peerIp };
  if (!forwardedFor || trustedProxies.length === 0 || !anyContains(trustedProxies, peerIp)) {
    return direct;
  }
  const hops = forwardedFor.split(",").slice(-MAX_FORWARDED_HOPS);
  let leftmost: ClientAddress = direct;
  for (let i = hops.length - 1; i >= 0; i--) {
    const ip = parseForwardedAddress(hops[i]);
    if (!ip) return { text: "invalid", ip: null };
    const hop = { text: formatIp(ip), ip };
    if (!anyContains(trustedProxies, ip)) return hop;
    leftmost = hop;
  }
  return leftmost;
}
