/**
 * Questions the printer asks about the original source text: where blank lines were, whether a
 * record was written expanded, where a list's opening delimiter sits. They scan the text around
 * node boundaries only (never the whole file), so they cost nothing measurable.
 *
 * Comments are `// …` and `# …` up to the end of the line (the language has no block comments);
 * prettier's own text utilities only know `//` and `/* *\/`, hence these helpers.
 */

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const HASH = 35;
const SLASH = 47;

function isHorizontalSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === 0x0b || c === 0x0c || c === 0xa0 || c === 0xfeff;
}

/** Index just past a `//` or `#` comment starting at `i`, or `i` when none starts there. */
function skipComment(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === HASH || (c === SLASH && text.charCodeAt(i + 1) === SLASH)) {
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === LF || d === CR) break;
      j++;
    }
    return j;
  }
  return i;
}

function skipHorizontalSpace(text: string, i: number): number {
  while (i < text.length && isHorizontalSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index past one line terminator at `i` (`\n`, `\r\n` or `\r`), or `-1` when there is none. */
function skipNewline(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === LF) return i + 1;
  if (c === CR) return text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
  return -1;
}

/**
 * Whether the line after the one containing `end` is blank: after a node's end, skip the rest of
 * its line (spaces, one `,` or `;`, a trailing comment), the line break, then spaces; a second
 * line break there means the source had a blank line after the node.
 */
export function isNextLineEmpty(text: string, end: number): boolean {
  let i = skipHorizontalSpace(text, end);
  const c = text.charCodeAt(i);
  if (c === 44 /* , */ || c === 59 /* ; */) i = skipHorizontalSpace(text, i + 1);
  i = skipComment(text, i);
  i = skipNewline(text, i);
  if (i < 0) return false;
  i = skipHorizontalSpace(text, i);
  return skipNewline(text, i) >= 0;
}

/** Whether a line break occurs in `text[from, to)`. */
export function hasNewlineBetween(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || c === CR) return true;
  }
  return false;
}

/** Whether the source had a line break between the start of a line comment and the code before it. */
export function startsOwnLine(text: string, start: number): boolean {
  let i = start - 1;
  while (i >= 0 && isHorizontalSpace(text.charCodeAt(i))) i--;
  if (i < 0) return true;
  const c = text.charCodeAt(i);
  return c === LF || c === CR;
}

/**
 * Whether the line before `start` is blank (the text just before `start`, up to the previous line
 * break, is whitespace, and so is the line above it).
 */
export function isPreviousLineEmpty(text: string, start: number): boolean {
  let i = start - 1;
  while (i >= 0 && isHorizontalSpace(text.charCodeAt(i))) i--;
  if (i < 0) return false;
  let c = text.charCodeAt(i);
  if (c !== LF && c !== CR) return false;
  if (c === LF && text.charCodeAt(i - 1) === CR) i--;
  i--;
  while (i >= 0 && isHorizontalSpace(text.charCodeAt(i))) i--;
  if (i < 0) return false;
  c = text.charCodeAt(i);
  return c === LF || c === CR;
}

/**
 * Index of the first character at or after `from` that is not whitespace, not inside a comment,
 * and not one of `skip` (e.g. the `)` and `,` that close an empty parameter list). `-1` at end.
 */
export function nextSignificant(text: string, from: number, skip = ""): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isHorizontalSpace(c) || c === LF || c === CR) {
      i++;
      continue;
    }
    const j = skipComment(text, i);
    if (j !== i) {
      i = j;
      continue;
    }
    if (skip.length > 0 && skip.includes(text[i]!)) {
      i++;
      continue;
    }
    return i;
  }
  return -1;
}
