/**
 * Cedar text building blocks: the `Symbi` namespace and its entity types, string literals, and
 * attribute access that stays valid for any attribute name.
 */

/** Identifiers Cedar reserves; as attribute names they need the `["x"]` / `has "x"` forms. */
const RESERVED = new Set(["true", "false", "if", "then", "else", "in", "is", "like", "has", "__cedar"]);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A Cedar string literal (escapes quotes, backslashes and control characters). */
export function cedarString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

/** A `like` pattern literal: `*` is the wildcard; the text's own characters are escaped. */
export function cedarLikePattern(pattern: string): string {
  // The analysis already escaped literal `*` as `\*`; escape everything else as in a string.
  let out = '"';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\" && pattern[i + 1] === "*") {
      out += "\\*";
      i++;
    } else if (ch === "*") out += "*";
    else out += cedarString(ch).slice(1, -1);
  }
  return out + '"';
}

export function isPlainAttr(name: string): boolean {
  return IDENT.test(name) && !RESERVED.has(name);
}

/** `.name`, or `["name"]` when the name is not a plain Cedar identifier. */
export function attrAccess(name: string): string {
  return isPlainAttr(name) ? `.${name}` : `[${cedarString(name)}]`;
}

/** `expr has name` in the form valid for the name. */
export function hasAttr(expr: string, name: string): string {
  return `${expr} has ${isPlainAttr(name) ? name : cedarString(name)}`;
}

export function entityRef(type: string, id: string): string {
  return `${type}::${cedarString(id)}`;
}

/** A path from `context` down: `context.user.clearance`. */
export function contextPath(segments: readonly string[]): string {
  return "context" + segments.map(attrAccess).join("");
}
