/**
 * Other readings of a line that the rules also run on, each with a map back to the original
 * columns: the shell's view with quotes, backslashes and `$IFS` resolved (`c"ur"l` is `curl`),
 * and base64 blobs decoded (`echo Y3VybCAuLi4= | base64 -d | sh` hides its command in base64).
 */

export interface LineView {
  kind: "line" | "unicode" | "dequoted" | "base64" | "hidden";
  text: string;
  /** Original index per code unit, plus the end; null for the identity. */
  map: number[] | null;
}

const QUOTING = /["'\\]|\$\{?IFS\b/;

/** The line as the shell would see its words: quotes and backslash escapes removed, $IFS as a space. Null when nothing changes. */
export function dequotedView(view: LineView): LineView | null {
  const src = view.text;
  if (!QUOTING.test(src)) return null;
  let text = "";
  const map: number[] = [];
  const at = (i: number) => (view.map ? view.map[i]! : i);
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === '"' || ch === "'") continue;
    if (ch === "\\") {
      if (i + 1 < src.length) {
        i++;
        text += src[i];
        map.push(at(i));
      }
      continue;
    }
    if (ch === "$") {
      const m = /^\$(?:IFS\b|\{IFS\})/.exec(src.slice(i, i + 6));
      if (m) {
        text += " ";
        map.push(at(i));
        i += m[0].length - 1;
        continue;
      }
    }
    text += ch;
    map.push(at(i));
  }
  map.push(at(src.length));
  return { kind: "dequoted", text, map };
}

const DEQUOTE = /\\([^]?)|["']|\$(?:IFS\b|\{IFS\})/g;

/** The text of `dequotedView` for a line as written, without the column map (the line planner's test). */
export function dequoteText(line: string): string {
  if (!QUOTING.test(line)) return line;
  return line.replace(DEQUOTE, (m, escaped: string | undefined) =>
    escaped !== undefined ? escaped : m.startsWith("$") ? " " : "",
  );
}

const BASE64_TOKEN = /[A-Za-z0-9+/]{8,}={0,2}/g;
const PRINTABLE = /^[\x09\x0a\x0d\x20-\x7e]*$/;

/**
 * Base64 of text nearly always has a digit, `+`, `/` or padding, and mixes cases: plain words,
 * identifiers and numbers are not worth decoding.
 */
export function looksLikeBase64(token: string): boolean {
  return (
    /[0-9+/=]/.test(token) && /[A-Z]/.test(token) && /[a-z]/.test(token) && token.replace(/=+$/, "").length % 4 !== 1
  );
}

/** Each base64 blob of the line decoded, when it decodes to printable text. */
export function base64Views(view: LineView): LineView[] {
  const out: LineView[] = [];
  for (const m of view.text.matchAll(BASE64_TOKEN)) {
    const token = m[0];
    if (token.replace(/=+$/, "").length % 4 === 1) continue;
    if (!looksLikeBase64(token)) continue;
    const decoded = Buffer.from(token, "base64").toString("latin1");
    if (decoded.length < 6 || !PRINTABLE.test(decoded)) continue;
    const start = view.map ? view.map[m.index]! : m.index;
    const end = view.map ? view.map[m.index + token.length]! : m.index + token.length;
    const map = new Array<number>(decoded.length).fill(start);
    map.push(end);
    out.push({ kind: "base64", text: decoded, map });
  }
  return out;
}

export function mapIndex(view: LineView, i: number): number {
  return view.map ? view.map[Math.min(i, view.map.length - 1)]! : i;
}
