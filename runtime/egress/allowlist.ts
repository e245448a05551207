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

export interface Authority {
  /** Normalised: a lower-case name without trailing dot, or an IP address without brackets. */
  host: string;
  port: number;
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/** A host name or IP address in normal form, or null when it is neither. */
export function normalizeHost(raw: string): string | null {
  const bracketed = /^\[(.*)\]$/.exec(raw);
  if (bracketed) return isIP(bracketed[1]!) === 6 ? bracketed[1]!.toLowerCase() : null;
  if (isIP(raw) === 4) return raw;
  if (isIP(raw) === 6) return raw.toLowerCase();
  const name = raw.toLowerCase().replace(/\.$/, "");
  return name.length <= 253 && HOSTNAME.test(name) ? name : null;
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
