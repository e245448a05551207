/**
 * Unicode normalisation before matching, so that look-alike letters and invisible characters
 * cannot hide a command from the rules: invisible characters are removed, look-alikes from
 * other scripts (Cyrillic, Greek, …) and compatibility forms (full-width, mathematical letters,
 * found by NFKC) become the ASCII they imitate, and Unicode tag characters — invisible text a
 * model still reads — are decoded into a hidden line that is scanned too. Each of these is also
 * reported (see scanner-checks.ts), except where the character is ordinary in its context
 * (a joiner between emoji, a non-joiner between Persian letters, a variation selector after an
 * emoji, a whole word in another script).
 *
 * `map[i]` is the index in the original line of output code unit `i` (plus one entry for the
 * end), so a match in the normalised text is reported at its original column.
 */

export type UnicodeEventKind = "tag" | "bidi" | "invisible" | "homoglyph";

export interface UnicodeEvent {
  kind: UnicodeEventKind;
  /** Index (UTF-16) in the original line. */
  index: number;
  length: number;
  codePoint: number;
}

export interface NormalizedLine {
  text: string;
  /** Null when the text is unchanged (identity map). */
  map: number[] | null;
  events: UnicodeEvent[];
  /** Text spelled with Unicode tag characters, decoded to ASCII, with its own map; null when none. */
  hidden: { text: string; map: number[] } | null;
}

/** Look-alikes NFKC leaves alone: letters of other scripts that render like ASCII letters. */
const CONFUSABLES: Record<number, string> = {};
function addConfusables(ascii: string, others: string): void {
  for (let i = 0; i < ascii.length; i++) CONFUSABLES[others.codePointAt(i)!] = ascii[i]!;
}
// Cyrillic
addConfusables("aeopcyxsijABEKMHOPCTXYSIJhdlqwGvnr", "аеорсухѕіјАВЕКМНОРСТХҮЅІЈһԁӏԛԝԌѵпг");
// Greek
addConfusables("ABEZHIKMNOPTYXoikvnuy", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧοικνηυγ");
// Latin letters from other blocks, Armenian, Cherokee and symbols commonly used as look-alikes
addConfusables("gohsqdueEIOl", "ɡօհѕզԁսеЕІОǀ");

function isBidiControl(c: number): boolean {
  return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

function isInvisible(c: number): boolean {
  return (
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x2060 && c <= 0x2064) ||
    c === 0xfeff ||
    c === 0x00ad ||
    c === 0x034f ||
    c === 0x180e ||
    c === 0x115f ||
    c === 0x1160 ||
    c === 0x3164 ||
    c === 0xffa0 ||
    (c >= 0xfe00 && c <= 0xfe0f) ||
    (c >= 0xe0100 && c <= 0xe01ef)
  );
}

function isTag(c: number): boolean {
  return c >= 0xe0000 && c <= 0xe007f;
}

function isAsciiVisible(c: number | undefined): boolean {
  return c !== undefined && c > 0x20 && c < 0x7f;
}

function isAsciiLetter(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));
}

const LETTER = /[\p{L}\p{M}\p{N}_]/u;

/** The code points of `s` with their UTF-16 indexes. */
function codePoints(s: string): { c: number; i: number; n: number }[] {
  const out: { c: number; i: number; n: number }[] = [];
  for (let i = 0; i < s.length;) {
    const c = s.codePointAt(i)!;
    const n = c > 0xffff ? 2 : 1;
    out.push({ c, i, n });
    i += n;
  }
  return out;
}

const ASCII_ONLY = /^[\x00-\x7f]*$/;

export function normalizeLine(line: string, atFileStart = false): NormalizedLine {
  if (ASCII_ONLY.test(line)) return { text: line, map: null, events: [], hidden: null };
  const cps = codePoints(line);
  const events: UnicodeEvent[] = [];
  let text = "";
  const map: number[] = [];
  let hiddenText = "";
  const hiddenMap: number[] = [];
  // Look-alikes are reported once per word, and only in words that also hold ASCII letters (or
  // for compatibility forms, which ordinary text in any script does not need).
  const wordHasAscii = (k: number): boolean => {
    for (let j = k - 1; j >= 0 && LETTER.test(String.fromCodePoint(cps[j]!.c)); j--)
      if (isAsciiLetter(cps[j]!.c)) return true;
    for (let j = k + 1; j < cps.length && LETTER.test(String.fromCodePoint(cps[j]!.c)); j++)
      if (isAsciiLetter(cps[j]!.c)) return true;
    return false;
  };
  for (let k = 0; k < cps.length; k++) {
    const { c, i, n } = cps[k]!;
    if (c < 0x80) {
      text += String.fromCharCode(c);
      map.push(i);
      continue;
    }
    if (isTag(c)) {
      events.push({ kind: "tag", index: i, length: n, codePoint: c });
      if (c >= 0xe0020 && c <= 0xe007e) {
        hiddenText += String.fromCharCode(c - 0xe0000);
        hiddenMap.push(i);
      }
      continue;
    }
    if (isBidiControl(c)) {
      events.push({ kind: "bidi", index: i, length: n, codePoint: c });
      continue;
    }
    if (isInvisible(c)) {
      const prev = cps[k - 1]?.c;
      const next = cps[k + 1]?.c;
      const benign = (c === 0xfeff && atFileStart && i === 0) || (!isAsciiVisible(prev) && !isAsciiVisible(next));
      if (!benign) events.push({ kind: "invisible", index: i, length: n, codePoint: c });
      continue;
    }
    const ch = String.fromCodePoint(c);
    const confusable = CONFUSABLES[c];
    if (confusable !== undefined) {
      if (wordHasAscii(k)) {
        events.push({ kind: "homoglyph", index: i, length: n, codePoint: c });
        text += confusable;
        map.push(i);
      } else {
        text += ch;
        for (let u = 0; u < n; u++) map.push(i + u);
      }
      continue;
    }
    const compat = ch.normalize("NFKC");
    if (compat !== ch && ASCII_ONLY.test(compat) && compat.trim() !== "") {
      events.push({ kind: "homoglyph", index: i, length: n, codePoint: c });
      text += compat;
      for (let u = 0; u < compat.length; u++) map.push(i);
      continue;
    }
    text += ch;
    for (let u = 0; u < n; u++) map.push(i + u);
  }
  map.push(line.length);
  hiddenMap.push(hiddenMap.length ? hiddenMap[hiddenMap.length - 1]! + 2 : line.length);
  return { text, map, events, hidden: hiddenText ? { text: hiddenText, map: hiddenMap } : null };
}
