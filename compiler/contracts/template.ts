/**
 * Command templates, tokenised into argv words BEFORE any substitution, so that a value can never
 * become several argv entries: `nmap -v {target}` is three words whatever `target` holds.
 *
 * Template syntax (a shell-like subset, never run by a shell):
 * - words are separated by whitespace;
 * - `'...'` quotes literally, `"..."` quotes with `\"` and `\\` escapes, `\x` outside quotes
 *   escapes one character; quotes only group characters into one word;
 * - `{name}` is a placeholder (also inside quotes); `{{` and `}}` are literal braces.
 */

export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "placeholder"; name: string; /** offset of `{` in the template */ offset: number };

export interface TemplateWord {
  parts: TemplatePart[];
  /** The word used quotes (so `''` is a deliberate empty word). */
  quoted: boolean;
  start: number;
  end: number;
}

export interface TemplateError {
  message: string;
  /** Offset in the template text. */
  offset: number;
}

export type TemplateResult = { ok: true; words: TemplateWord[] } | { ok: false; error: TemplateError };

const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits a template into words of literal text and placeholders. */
export function tokenizeTemplate(template: string): TemplateResult {
  const words: TemplateWord[] = [];
  let parts: TemplatePart[] = [];
  let text = "";
  let inWord = false;
  let quoted = false;
  let wordStart = 0;
  let quote: "'" | '"' | null = null;
  let quoteStart = 0;

  const flushText = () => {
    if (text.length > 0) parts.push({ kind: "text", text });
    text = "";
  };
  const startWord = (at: number) => {
    if (!inWord) {
      inWord = true;
      wordStart = at;
    }
  };
  const endWord = (at: number) => {
    if (!inWord) return;
    flushText();
    words.push({ parts, quoted, start: wordStart, end: at });
    parts = [];
    inWord = false;
    quoted = false;
  };

  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (quote === null && /\s/.test(c)) {
      endWord(i);
      i++;
      continue;
    }
    startWord(i);
    if (c === "{") {
      if (template[i + 1] === "{") {
        text += "{";
        i += 2;
        continue;
      }
      const close = template.indexOf("}", i + 1);
      if (close < 0)
        return {
          ok: false,
          error: { message: "unclosed placeholder `{` (write `{{` for a literal brace)", offset: i },
        };
      const name = template.slice(i + 1, close);
      if (name.startsWith("_secret:")) {
        return { ok: false, error: { message: `secret placeholders (\`{${name}}\`) are not supported`, offset: i } };
      }
      if (!PLACEHOLDER_NAME.test(name)) {
        return {
          ok: false,
          error: { message: `invalid placeholder \`{${name}}\`: expected a name such as \`{target}\``, offset: i },
        };
      }
      flushText();
      parts.push({ kind: "placeholder", name, offset: i });
      i = close + 1;
      continue;
    }
    if (c === "}") {
      if (template[i + 1] === "}") {
        text += "}";
        i += 2;
        continue;
      }
      return { ok: false, error: { message: "unmatched `}` (write `}}` for a literal brace)", offset: i } };
    }
    if (quote === "'") {
      if (c === "'") quote = null;
      else text += c;
      i++;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && (template[i + 1] === '"' || template[i + 1] === "\\")) {
        text += template[i + 1];
        i++;
      } else text += c;
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      quoteStart = i;
      quoted = true;
      i++;
      continue;
    }
    if (c === "\\") {
      if (i + 1 >= template.length)
        return { ok: false, error: { message: "trailing `\\` escapes nothing", offset: i } };
      text += template[i + 1];
      i += 2;
      continue;
    }
    text += c;
    i++;
  }
  if (quote !== null) return { ok: false, error: { message: `unclosed quote \`${quote}\``, offset: quoteStart } };
  endWord(template.length);
  return { ok: true, words };
}

/**
 * Parses one element of an `exec = [...]` array: exactly one argv word, no quoting or splitting,
 * only placeholders and `{{`/`}}` escapes.
 */
export function parseExecElement(
  element: string,
): { ok: true; word: TemplateWord } | { ok: false; error: TemplateError } {
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  while (i < element.length) {
    const c = element[i]!;
    if ((c === "{" || c === "}") && element[i + 1] === c) {
      text += c;
      i += 2;
      continue;
    }
    if (c === "}")
      return { ok: false, error: { message: "unmatched `}` (write `}}` for a literal brace)", offset: i } };
    if (c === "{") {
      const close = element.indexOf("}", i + 1);
      if (close < 0)
        return {
          ok: false,
          error: { message: "unclosed placeholder `{` (write `{{` for a literal brace)", offset: i },
        };
      const name = element.slice(i + 1, close);
      if (!PLACEHOLDER_NAME.test(name)) {
        return {
          ok: false,
          error: { message: `invalid placeholder \`{${name}}\`: expected a name such as \`{target}\``, offset: i },
        };
      }
      if (text) parts.push({ kind: "text", text });
      text = "";
      parts.push({ kind: "placeholder", name, offset: i });
      i = close + 1;
      continue;
    }
    text += c;
    i++;
  }
  if (text) parts.push({ kind: "text", text });
  return { ok: true, word: { parts, quoted: true, start: 0, end: element.length } };
}

/** True when the word is one placeholder and nothing else: its value becomes a whole argv entry. */
export function standalonePlaceholder(word: TemplateWord): string | undefined {
  const only = word.parts.length === 1 ? word.parts[0] : undefined;
  return only?.kind === "placeholder" ? only.name : undefined;
}

/** Every placeholder name used by the words, in order of appearance. */
export function placeholderNames(words: readonly TemplateWord[]): string[] {
  const out: string[] = [];
  for (const w of words) for (const p of w.parts) if (p.kind === "placeholder") out.push(p.name);
  return out;
}

/** The literal text of a word without placeholders (undefined when it has any). */
export function literalWord(word: TemplateWord): string | undefined {
  let s = "";
  for (const p of word.parts) {
    if (p.kind === "placeholder") return undefined;
    s += p.text;
  }
  return s;
}
