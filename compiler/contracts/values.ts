/**
 * What each ToolClad type accepts. One table for the compiler (checking `default` values) and
 * the runtime (checking call arguments, runtime/tools/validate.ts), so both agree.
 *
 * Rules every text value obeys, whatever its type:
 * - no shell metacharacter: ; | & $ ` ( ) { } [ ] < > ! newline, carriage return, NUL;
 * - no other control character (C0 except tab, and DEL): they have no business in an argv;
 * - at most MAX_VALUE_LENGTH characters (bounds the work of author-supplied patterns);
 * - well-formed Unicode (no lone surrogates, which cannot reach the tool unchanged).
 * `agent_summary` first strips invisible characters and hidden markup, then obeys the same rules.
 */
import type { BuiltinArgType, ScalarValue } from "./model.js";
import { canonicalCidr, canonicalHost, canonicalIp, canonicalPath, canonicalUrl, type Canonical } from "./canonical.js";

export const MAX_VALUE_LENGTH = 4096;

/** The shell metacharacters ToolClad rejects in every text value. */
export const SHELL_METACHARACTERS = [
  ";",
  "|",
  "&",
  "$",
  "`",
  "(",
  ")",
  "{",
  "}",
  "[",
  "]",
  "<",
  ">",
  "!",
  "\n",
  "\r",
  "\0",
] as const;

const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const METACHAR_RE = /[;|&$`(){}[\]<>!\n\r\0]/;
const CONTROL_RE = /[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** The constraints a value is checked against (an ArgSpec or a custom type provides them). */
export interface ValueConstraints {
  baseType: BuiltinArgType;
  allowed?: readonly string[];
  pattern?: string;
  min?: number;
  max?: number;
  clamp?: boolean;
  schemes?: readonly string[];
}

export type ValueCheck = { ok: true; value: ScalarValue } | { ok: false; message: string };

const fail = (message: string): ValueCheck => ({ ok: false, message });
const canonical = (c: Canonical): ValueCheck => (typeof c === "string" ? { ok: true, value: c } : fail(c.problem));

/** A short, escaped rendering of a rejected value for messages. */
export function showValue(v: unknown): string {
  const s = typeof v === "string" ? v : String(v);
  const cut = s.length > 60 ? s.slice(0, 57) + "..." : s;
  return JSON.stringify(cut);
}

function describeChar(c: string): string {
  if (c === "\n") return "newline";
  if (c === "\r") return "carriage return";
  if (c === "\0") return "NUL";
  if (c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127)
    return `control character U+${c.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}`;
  return `\`${c}\``;
}

/** The first forbidden character of a text value, described, or undefined when it is clean. */
export function forbiddenCharacter(s: string): string | undefined {
  const m = METACHAR_RE.exec(s) ?? CONTROL_RE.exec(s);
  return m ? describeChar(m[0]) : undefined;
}

// Invisible formatting characters: soft hyphen, Mongolian vowel separator, zero-width and bidi
// controls, word joiners and invisible operators, BOM, and Unicode tag characters.
const INVISIBLE_RE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]|[\u{E0000}-\u{E007F}]/gu;
const HTML_COMMENT_RE = /<!--[\s\S]*?(?:-->|$)/g;
const MD_COMMENT_RE =
  /^[ \t]*\[(?:\/\/|comment)\]:[ \t]*(?:#|<>)[ \t]*(?:\([^\n]*\)|"[^\n]*"|'[^\n]*')[ \t]*(?:\r?\n|$)/gim;
const ANSI_RE = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)/g;

/**
 * Removes what a reader would not see but a model would read: invisible characters, HTML
 * comments, Markdown comment lines and terminal escape sequences.
 */
export function stripHiddenContent(s: string): string {
  return s.replace(INVISIBLE_RE, "").replace(HTML_COMMENT_RE, "").replace(MD_COMMENT_RE, "").replace(ANSI_RE, "");
}

const regexCache = new Map<string, RegExp | Error>();

/** Compiles an author-supplied pattern (JavaScript syntax, unanchored search like the reference). */
export function compilePattern(pattern: string): RegExp | Error {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      re = new RegExp(pattern);
    } catch (e) {
      re = e instanceof Error ? e : new Error(String(e));
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

function toInteger(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === "bigint")
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
  if (typeof v === "string" && /^[+-]?\d{1,16}$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function checkRange(n: number, c: ValueConstraints): ValueCheck {
  if (c.min !== undefined && n < c.min)
    return c.clamp ? { ok: true, value: c.min } : fail(`must be at least ${c.min}, got ${n}`);
  if (c.max !== undefined && n > c.max)
    return c.clamp ? { ok: true, value: c.max } : fail(`must be at most ${c.max}, got ${n}`);
  return { ok: true, value: n };
}

const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;

/** A DNS name: ASCII labels of letters, digits, `-` (not at the ends) and `_` (SRV-style names). */
export function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  return s.split(".").every((label) => HOST_LABEL.test(label));
}

const DURATION_RE = /^(\d{1,9})([smh]?)$/;
const DURATION_UNIT: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600 };

/** Text-typed checks after the value is known to be a clean string. */
function checkText(s: string, c: ValueConstraints): ValueCheck {
  switch (c.baseType) {
    case "string":
    case "regex_match":
    case "agent_summary": {
      if (s.length === 0) return fail("must not be empty");
      if (c.baseType === "regex_match" && c.pattern === undefined)
        return fail("has no `pattern` to match (the contract is invalid)");
      if (c.pattern !== undefined) {
        const re = compilePattern(c.pattern);
        if (re instanceof Error) return fail(`cannot be checked: the contract's pattern is invalid (${re.message})`);
        if (!re.test(s)) return fail(`${showValue(s)} does not match the pattern ${c.pattern}`);
      }
      return { ok: true, value: s };
    }
    case "enum": {
      if (!c.allowed || !c.allowed.includes(s))
        return fail(`${showValue(s)} is not one of ${(c.allowed ?? []).map((a) => JSON.stringify(a)).join(", ")}`);
      return { ok: true, value: s };
    }
    case "url": {
      const sep = s.indexOf("://");
      if (sep <= 0) return fail(`${showValue(s)} is not a URL (expected scheme://...)`);
      const scheme = s.slice(0, sep);
      if (!/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme)) return fail(`${showValue(s)} has an invalid scheme`);
      if (c.schemes && c.schemes.length > 0 && !c.schemes.some((x) => x.toLowerCase() === scheme.toLowerCase())) {
        return fail(`scheme "${scheme}" is not allowed (allowed: ${c.schemes.join(", ")})`);
      }
      return canonical(canonicalUrl(s));
    }
    case "path":
    case "credential_file": {
      if (s.length === 0) return fail("must not be empty");
      if (s.includes("..")) return fail(`${showValue(s)} contains \`..\` (path traversal)`);
      if (c.baseType === "credential_file" && (s.startsWith("/") || s.startsWith("\\") || /^[A-Za-z]:/.test(s))) {
        return fail(`${showValue(s)} must be a relative path`);
      }
      return canonical(canonicalPath(s));
    }
    case "ip_address":
      return canonical(canonicalIp(s));
    case "cidr":
      return canonical(canonicalCidr(s));
    case "scope_target": {
      if (s.includes("*") || s.includes("?")) return fail(`${showValue(s)} contains a wildcard`);
      if (s.includes("/")) return canonical(canonicalCidr(s));
      const host = canonicalHost(s);
      return typeof host === "string"
        ? { ok: true, value: host }
        : fail(`${showValue(s)} is not an IP address, CIDR range or hostname`);
    }
    default:
      return fail(`is not text`);
  }
}

/**
 * Checks one value against a type and its constraints. Returns the normalised value: integers
 * and ports as numbers (clamped when `clamp = true`), booleans as booleans, durations as whole
 * seconds, `agent_summary` without hidden content, paths, IP addresses, hosts, CIDR ranges and
 * URLs in their canonical form (canonical.ts: what the gate decides is what the tool receives),
 * other text unchanged.
 */
export function checkValue(value: unknown, c: ValueConstraints): ValueCheck {
  switch (c.baseType) {
    case "integer": {
      const n = toInteger(value);
      if (n === undefined) return fail(`expected an integer, got ${showValue(value)}`);
      return checkRange(n, c);
    }
    case "number": {
      const n = toNumber(value);
      if (n === undefined) return fail(`expected a number, got ${showValue(value)}`);
      return checkRange(n, c);
    }
    case "port": {
      const n = toInteger(value);
      if (n === undefined || n < 1 || n > 65535) return fail(`expected a port number 1-65535, got ${showValue(value)}`);
      return { ok: true, value: n };
    }
    case "boolean": {
      if (value === true || value === "true") return { ok: true, value: true };
      if (value === false || value === "false") return { ok: true, value: false };
      return fail(`expected true or false, got ${showValue(value)}`);
    }
    case "duration": {
      let seconds: number | undefined;
      if (typeof value === "number" && Number.isSafeInteger(value)) seconds = value;
      else if (typeof value === "string") {
        const m = DURATION_RE.exec(value);
        if (m) seconds = Number(m[1]) * DURATION_UNIT[m[2]!]!;
      }
      if (seconds === undefined) return fail(`expected a duration such as 30s, 5m or 2h, got ${showValue(value)}`);
      if (seconds <= 0) return fail(`duration must be positive, got ${showValue(value)}`);
      return { ok: true, value: seconds };
    }
    default: {
      if (typeof value !== "string") return fail(`expected text, got ${value === null ? "null" : typeof value}`);
      const s = c.baseType === "agent_summary" ? stripHiddenContent(value) : value;
      if (s.length > MAX_VALUE_LENGTH) return fail(`is longer than ${MAX_VALUE_LENGTH} characters`);
      // A lone surrogate cannot be encoded as UTF-8: the tool would receive U+FFFD instead.
      if (LONE_SURROGATE_RE.test(s)) return fail("is not well-formed Unicode text (lone surrogate)");
      const bad = forbiddenCharacter(s);
      if (bad) return fail(`contains the forbidden character ${bad}`);
      return checkText(s, c);
    }
  }
}
