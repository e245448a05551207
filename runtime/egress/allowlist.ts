/**
 * Which destinations an egress proxy lets through: the TCP entries of a sandbox manifest's
 * allowlist, matched exactly.
 *
 * - A host name matches only the same name (ASCII, case-insensitive, one trailing dot ignored)
 *   and the same port: no wildcard, no suffix match, no DNS lookup at decision time. The name is
 *   what the policy allowed; the proxy resolves it only to connect.
 * - An IP address or CIDR entry matches a request for an address inside it, never a name that
 *   might resolve there (a name's addresses are not known when the decision is made).
 * - A destination is written `host:port` (`[v6]:port` for IPv6), strictly: no user info, no
 *   path, no percent-encoding, a port 1–65535 without leading zeros. Anything else is malformed.
 */
import { BlockList, isIP } from "node:net";
import type { NetworkDestination } from "../../formats/sandbox-manifest.js";
import { canonicalHost } from "../../compiler/contracts/canonical.js";

export interface Authority {
  /** Normalised: a lower-case name without trailing dot, or an IP address without brackets. */
  host: string;
  port: number;
}

/**
 * A host name or IP address in the canonical form the policy gate decides (compiler/contracts/
 * canonical.ts: every spelling of an address is that address), or null when it is neither.
 * One reading of hosts for the gate and the proxy, so what was allowed is what is reached.
 */
export function normalizeHost(raw: string): string | null {
  // What arrives on the wire is read strictly: ASCII only (a client sends IDNs as `xn--`), and
  // an IPv4 address only in dotted decimal — `0x7f.1` is refused, not read as 127.0.0.1.
  if (!/^[\x21-\x7e]+$/.test(raw)) return null;
  const c = canonicalHost(raw);
  if (typeof c !== "string") return null;
  if (isIP(c) === 4 && c !== raw) return null;
  // `_` is for service labels (SRV), never in a name a client connects to.
  return c.includes("_") ? null : c;
}

/** `host:port` → authority, or null when malformed. */
export function parseAuthority(text: string): Authority | null {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]\s/@%?#]+):([1-9][0-9]{0,4})$/.exec(text);
  if (!m) return null;
  const host = normalizeHost(m[1]!);
  const port = Number(m[2]);
  if (host === null || port > 65535) return null;
  return { host, port };
}

/** An authority as text (IPv6 in brackets). */
export function formatAuthority(a: Authority): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export type AllowDecision = { ok: true } | { ok: false; reason: string };

export class EgressAllowlist {
  private readonly names = new Set<string>();
  private readonly ranges: Array<{ port: number; family: 4 | 6; list: BlockList }> = [];
  /** The entries, as `host:port` text. */
  readonly entries: string[] = [];

  constructor(destinations: readonly NetworkDestination[]) {
    for (const d of destinations) {
      if ((d.protocol ?? "tcp") !== "tcp") continue; // an HTTP proxy carries TCP only
      const [addr, prefix, ...rest] = d.host.split("/");
      const family = isIP(addr ?? "");
      if (family !== 0 && rest.length === 0) {
        const type = family === 4 ? "ipv4" : "ipv6";
        const list = new BlockList();
        if (prefix === undefined) list.addAddress(addr!, type);
        else list.addSubnet(addr!, Number(prefix), type);
        this.ranges.push({ port: d.port, family: family as 4 | 6, list });
        this.entries.push(`${d.host}:${d.port}`);
        continue;
      }
      const host = normalizeHost(d.host);
      if (host === null)
        throw new TypeError(`allowlist entry "${d.host}" is not a host name, IP address or CIDR block`);
      this.names.add(`${host}:${d.port}`);
      this.entries.push(formatAuthority({ host, port: d.port }));
    }
  }

  get size(): number {
    return this.entries.length;
  }

  decide(a: Authority): AllowDecision {
    const family = isIP(a.host);
    if (family === 0) {
      return this.names.has(`${a.host}:${a.port}`)
        ? { ok: true }
        : { ok: false, reason: `${formatAuthority(a)} is not in the allowlist` };
    }
    const type = family === 4 ? "ipv4" : "ipv6";
    const hit = this.ranges.some((r) => r.port === a.port && r.family === family && r.list.check(a.host, type));
    return hit ? { ok: true } : { ok: false, reason: `${formatAuthority(a)} is not in the allowlist` };
  }
}

/** Whether an allowlist entry names a host (rather than an IP address or CIDR block). */
export function isHostNameEntry(d: NetworkDestination): boolean {
  return isIP(d.host.split("/")[0] ?? "") === 0;
}
