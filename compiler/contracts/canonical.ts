/**
 * Canonical forms of the typed values a policy can be about: paths, IP addresses, host names,
 * CIDR ranges and URLs. A value is turned into its one canonical spelling before the policy gate
 * sees it, and the tool receives exactly that spelling — so every spelling a tool, a resolver or
 * the kernel would read as the same thing is decided as that thing (`//etc/passwd`,
 * `0x0a.0.0.1`, `HTTP://2852039166/` are `/etc/passwd`, `10.0.0.1`, `http://169.254.169.254/`).
 * Spellings with no safe canonical form (user info in a URL, IPv6 zone ids, hosts that are
 * neither a name nor an address) are refused. compiler/contracts/README.md documents the forms.
 *
 * Each function returns the canonical text, or `{ problem }` saying why the value is refused.
 * The input has already passed the character rules of values.ts (no metacharacters, no control
 * characters, no lone surrogates).
 */
import { isIP } from "node:net";

export type Canonical = string | { problem: string };

const show = (s: string) => JSON.stringify(s.length > 60 ? s.slice(0, 57) + "..." : s);

const HOST_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;

/** A lower-case DNS name: ASCII labels of letters, digits, `-` (not at the ends) and `_` (SRV-style names). */
function isCanonicalHostname(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  return s.split(".").every((label) => HOST_LABEL.test(label));
}

/**
 * A path, lexically: repeated `/` collapsed, `.` segments dropped, no trailing `/` (except the
 * root). `..` is refused (values.ts), so nothing above the path's start is reachable by
 * spelling. Relative paths stay relative (to the tool's working directory); symbolic links are
 * not followed — the file system the tool sees is the sandbox's, not ours.
 */
export function canonicalPath(s: string): Canonical {
  if (s.includes("\\"))
    return { problem: `${show(s)} contains a backslash (write paths with \`/\`; a backslash is not a separator here)` };
  const absolute = s.startsWith("/");
  const segments = s.split("/").filter((seg) => seg !== "" && seg !== ".");
  if (absolute) return "/" + segments.join("/");
  return segments.length === 0 ? "." : segments.join("/");
}

/** The 8 groups of an IPv6 address, or undefined. */
function ipv6Groups(s: string): number[] | undefined {
  let host: string;
  try {
    host = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [head, tail] = host.includes("::") ? (host.split("::") as [string, string]) : [host, undefined];
  const part = (t: string) => (t === "" ? [] : t.split(":").map((g) => parseInt(g, 16)));
  const h = part(head);
  if (tail === undefined) return h.length === 8 ? h : undefined;
  const t = part(tail);
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/**
 * An IP address: IPv4 in dotted decimal; IPv6 in RFC 5952 form (lower case, longest zero run
 * compressed); an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address it reaches.
 * Zone ids (`fe80::1%eth0`) are refused. Only standard spellings are accepted here (an
 * `ip_address` is never `10.1` or `0x0a.0.0.1`; a host name or scope target may be, see
 * canonicalHost).
 */
export function canonicalIp(s: string): Canonical {
  if (s.includes("%")) return { problem: `${show(s)} has an IPv6 zone id (\`%...\`), which is not allowed` };
  const family = isIP(s);
  if (family === 4) return s;
  if (family !== 6) return { problem: `${show(s)} is not an IPv4 or IPv6 address` };
  const g = ipv6Groups(s);
  if (!g) return { problem: `${show(s)} is not an IPv4 or IPv6 address` };
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  return new URL(`http://[${s}]/`).hostname.slice(1, -1);
}

/**
 * A host: an IP address (canonicalIp), or a DNS name in lower case, IDNA-encoded, without the
 * final dot. Every spelling of an IPv4 address that resolvers accept — `167772161`,
 * `0x0a.0.0.1`, `012.0.0.1`, `10.1` — is the dotted-decimal address (the WHATWG URL host
 * parser, which reads them as inet_aton does).
 */
export function canonicalHost(s: string): Canonical {
  if (s.startsWith("[") && s.endsWith("]")) return canonicalIp(s.slice(1, -1));
  if (s.includes(":")) return canonicalIp(s);
  if (/[/?#@\\%\s]/.test(s)) return { problem: `${show(s)} is not a host name or IP address` };
  let host: string;
  try {
    host = new URL(`http://${s}/`).hostname;
  } catch {
    return { problem: `${show(s)} is not a host name or IP address` };
  }
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (isIP(host) === 4 || isCanonicalHostname(host)) return host;
  return { problem: `${show(s)} is not a host name or IP address` };
}

/**
 * A CIDR range: the network's canonical address (host bits cleared) and a decimal prefix;
 * an IPv4-mapped IPv6 range is the IPv4 range.
 */
export function canonicalCidr(s: string): Canonical {
  const parts = s.split("/");
  const bad = { problem: `${show(s)} is not CIDR notation (address/prefix)` };
  if (parts.length !== 2 || !/^\d{1,3}$/.test(parts[1]!)) return bad;
  const addr = canonicalIp(parts[0]!);
  if (typeof addr !== "string") return bad;
  let prefix = Number(parts[1]);
  if (isIP(addr) === 4) {
    // An IPv4-mapped range (`::ffff:10.0.0.0/104`) loses the 96 bits of its mapping prefix.
    if (isIP(parts[0]!) === 6) {
      if (prefix < 96) return bad;
      prefix -= 96;
    }
    if (prefix > 32) return bad;
    const n = addr.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const mask = prefix === 0 ? 0 : Math.pow(2, 32) - Math.pow(2, 32 - prefix);
    const net = Number(BigInt(n) & BigInt(mask));
    return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${prefix}`;
  }
  if (prefix > 128) return bad;
  const g = ipv6Groups(addr)!;
  const bits = g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n);
  const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
  const net = bits & mask;
  const groups = Array.from({ length: 8 }, (_, i) => ((net >> BigInt(16 * (7 - i))) & 0xffffn).toString(16));
  return `${canonicalIp(groups.join(":")) as string}/${prefix}`;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-escapes of unreserved characters decoded, the others' hex digits in upper case (RFC 3986 §6.2.2). */
function normalisePercent(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
}

/**
 * A URL as the WHATWG URL standard serialises it (scheme and host in lower case, the host
 * canonical as in canonicalHost, the default port dropped, `.` and `..` segments resolved),
 * with percent-escapes normalised (RFC 3986: unreserved characters decoded, hex in upper case).
 * User info (`http://x@169.254.169.254/`) is refused: it hides the host from a reader and
 * carries credentials.
 */
export function canonicalUrl(s: string): Canonical {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return { problem: `${show(s)} is not a valid URL` };
  }
  if (u.username !== "" || u.password !== "")
    return { problem: `${show(s)} has user info (\`user@\`) before its host, which is not allowed` };
  if (u.hostname !== "") {
    // Special schemes (http, https, ftp, ws, wss, file) have their host parsed already; the
    // others keep it as written, so it is parsed here the same way.
    const raw = u.hostname;
    const host = canonicalHost(raw);
    if (typeof host !== "string") return { problem: `${show(s)}: ${host.problem}` };
    const shown = isIP(host) === 6 ? `[${host}]` : host;
    if (shown !== raw) {
      u.hostname = shown;
      if (u.hostname !== shown) return { problem: `${show(s)} has a host that cannot be written canonically` };
    }
  }
  let text = u.href;
  // Decoding can create new `.` segments (`%2E` after a parse): re-parse until nothing changes.
  for (let i = 0; i < 4; i++) {
    const next = new URL(normalisePercent(text)).href;
    if (next === text) return text;
    text = next;
  }
  return { problem: `${show(s)} has no stable canonical form` };
}

/**
 * The canonical form of a text value of a ToolClad type that has one (path, credential_file,
 * ip_address, cidr, scope_target, url), or the problem with it; `undefined` for the other types
 * (their text is taken as written).
 */
export function canonicalFormOf(baseType: string, s: string): Canonical | undefined {
  switch (baseType) {
    case "path":
    case "credential_file":
      return canonicalPath(s);
    case "ip_address":
      return canonicalIp(s);
    case "cidr":
      return canonicalCidr(s);
    case "scope_target":
      return s.includes("/") ? canonicalCidr(s) : canonicalHost(s);
    case "url":
      return canonicalUrl(s);
    default:
      return undefined;
  }
}
