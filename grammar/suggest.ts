/**
 * "Did you mean" suggestions: the closest candidate by edit distance, when it is plausibly a
 * typo (distance at most a third of the name's length, and at least 1).
 */
// Three reusable rows (names are short; longer ones get fresh rows).
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);
let rowC = new Int32Array(64);

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions cost 1. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > limit) return limit + 1;
  if (m + 1 > rowA.length) {
    rowA = new Int32Array(m + 1);
    rowB = new Int32Array(m + 1);
    rowC = new Int32Array(m + 1);
  }
  let prev2 = rowA;
  let prev = rowB;
  let cur = rowC;
  for (let j = 0; j <= m; j++) prev[j] = j;
  let aPrev = -1;
  for (let i = 1; i <= n; i++) {
    const ai = a.charCodeAt(i - 1);
    cur[0] = i;
    let rowMin = i;
    let bPrev = -1;
    for (let j = 1; j <= m; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = prev[j - 1]! + (ai === bj ? 0 : 1);
      const del = prev[j]! + 1;
      if (del < v) v = del;
      const ins = cur[j - 1]! + 1;
      if (ins < v) v = ins;
      if (ai === bPrev && aPrev === bj) {
        const tr = prev2[j - 2]! + 1;
        if (tr < v) v = tr;
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
      bPrev = bj;
    }
    if (rowMin > limit) return limit + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
    aPrev = ai;
  }
  return prev[m]!;
}

export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestD = limit + 1;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    if (c === name || Math.abs(c.length - name.length) > limit) continue;
    // Case-only differences are the most likely typo of all.
    const d = c.toLowerCase() === lower ? 0.5 : editDistance(name, c, limit);
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= limit ? best : undefined;
}

/** `did you mean \`x\`?` or undefined. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const c = closestName(name, candidates);
  return c === undefined ? undefined : `did you mean \`${c}\`?`;
}

const cache = new WeakMap<readonly string[], Map<string, string | undefined>>();

/** `didYouMean` over a list that does not change (memoised per list and name). */
export function didYouMeanIn(name: string, list: readonly string[]): string | undefined {
  let byName = cache.get(list);
  if (!byName) cache.set(list, (byName = new Map()));
  if (byName.has(name)) return byName.get(name);
  const r = didYouMean(name, list);
  byName.set(name, r);
  return r;
}
