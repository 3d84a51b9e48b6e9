function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

const norm = (s: string) => s.toLowerCase().replace(/\.(safetensors|ckpt|pt|pth|bin)$/, '');

/** Up to `max` options closest to `value`: substring matches first, then by edit distance. */
export function suggest(value: string, options: readonly string[], max = 3): string[] {
  const v = norm(value);
  const scored = options.map((option) => {
    const o = norm(option);
    const contains = o.includes(v) || v.includes(o);
    const distance = levenshtein(v, o);
    return { option, score: (contains ? 0 : 1000) + distance, distance, len: Math.max(v.length, o.length) };
  });
  return scored
    .filter((s) => s.score < 1000 || s.distance <= Math.max(2, Math.floor(s.len * 0.5)))
    .sort((a, b) => a.score - b.score || a.option.localeCompare(b.option))
    .slice(0, max)
    .map((s) => s.option);
}
