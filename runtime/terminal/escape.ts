/**
 * Text that agent code controls (its `log` / `print` lines, its error messages, the arguments of
 * a call waiting for approval) reaches the operator's terminal only through here. Control
 * characters are written as escapes, so the text cannot forge lines (`\n`, `\r`), move the
 * cursor, recolour or retitle the terminal (ESC and C1 sequences), or reorder what is shown
 * (bidirectional overrides, line separators):
 *
 *   \n \r \t          as themselves, escaped
 *   other C0, DEL, C1 \xHH
 *   U+061C, U+200E–F, U+2028–202E, U+2066–2069, U+FEFF   \u{HHHH}
 *
 * Everything else, including non-ASCII text, passes unchanged.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/gu;
const UNSAFE_OR_QUOTE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff"\\]/gu;

function escapeChar(ch: string): string {
  switch (ch) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    case '"':
      return '\\"';
    case "\\":
      return "\\\\";
  }
  const c = ch.codePointAt(0)!;
  return c <= 0xff ? `\\x${c.toString(16).padStart(2, "0")}` : `\\u{${c.toString(16)}}`;
}

/** `text` with control characters escaped; one line, safe to print. */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * `text` as a double-quoted literal: control characters, `"` and `\` escaped, so the reader can
 * tell every character (a literal backslash from an escape) — for values an approver decides on.
 */
export function quoteForTerminal(text: string): string {
  return `"${text.replace(UNSAFE_OR_QUOTE, escapeChar)}"`;
}
