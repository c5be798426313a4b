/**
 * "Did you mean …?" for a misspelt key or name: the closest known word by edit distance, when it
 * is close enough to be a likely typo (case differences count as one edit in total).
 */

/**
 * Edit distance counting an insertion, deletion, substitution or swap of two neighbours as one
 * (swaps are the commonest typo: "hsot", "forsk"), capped: cap + 1 means "more than cap".
 */
export function editDistance(a: string, b: string, cap = 3): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(rows[i - 1]![j]! + 1, cur[j - 1]! + 1, rows[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, rows[i - 2]![j - 2]! + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > cap) return cap + 1;
    rows.push(cur);
  }
  return Math.min(rows[a.length]![b.length]!, cap + 1);
}

/**
 * The known word closest to `word`, or undefined when none is close: the same word in another
 * case ("knownhosts" → "knownHosts"), a word it begins (at least 3 letters: "sort" → "sorted"),
 * else the nearest within a third of its length (at least 1, at most 3 edits: "forsk" → "forks");
 * nothing for words shorter than 3.
 */
export function closestWord(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const exactCase = known.find((k) => k.toLowerCase() === lower);
  if (exactCase !== undefined) return exactCase;
  const prefixOf = lower.length >= 3 ? known.filter((k) => k.toLowerCase().startsWith(lower)) : [];
  if (prefixOf.length === 1) return prefixOf[0];
  // Two letters or fewer are too short to guess from: every short word is one edit away.
  if (word.length < 3) return undefined;
  const cap = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestD = cap + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase(), cap);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

/** " (did you mean 'x'?)" or "". */
export function didYouMean(word: string, known: readonly string[]): string {
  const w = closestWord(word, known);
  return w === undefined ? "" : ` (did you mean '${w}'?)`;
}
