/**
 * Redis's glob patterns (KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH), restated from redis.io/commands/keys:
 * `?` one character, `*` any run (possibly empty), `[ae]` one of, `[^e]` none of, `[a-b]` a range (either
 * order), `\` escapes the next character, inside or outside brackets. Odd corners kept as Redis has them:
 * an unclosed `[` class runs to the end of the pattern, and `[]` matches nothing.
 */

/** Whether the whole of `text` matches `pattern` (both compared by UTF-16 code unit; byte strings by byte). */
export function globMatch(pattern: string, text: string): boolean {
  return matchFrom(pattern, 0, text, 0);
}

function matchFrom(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi];
    if (c === "*") {
      while (p[pi] === "*") pi++;
      if (pi === p.length) return true;
      for (let k = si; k <= s.length; k++) if (matchFrom(p, pi, s, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === "?") {
      pi++;
    } else if (c === "[") {
      const cls = matchClass(p, pi + 1, s.charCodeAt(si));
      if (!cls.matched) return false;
      pi = cls.next;
    } else {
      if (c === "\\" && pi + 1 < p.length) pi++;
      if (p[pi] !== s[si]) return false;
      pi++;
    }
    si++;
  }
  return si === s.length;
}

/** Evaluates the class starting after `[` at `pi` against code unit `ch`; `next` is the index after `]`. */
function matchClass(p: string, pi: number, ch: number): { matched: boolean; next: number } {
  const negate = p[pi] === "^";
  if (negate) pi++;
  let matched = false;
  while (pi < p.length && p[pi] !== "]") {
    if (p[pi] === "\\" && pi + 1 < p.length) {
      pi++;
      if (p.charCodeAt(pi) === ch) matched = true;
      pi++;
    } else if (pi + 2 < p.length && p[pi + 1] === "-") {
      const a = p.charCodeAt(pi);
      const b = p.charCodeAt(pi + 2);
      if (ch >= Math.min(a, b) && ch <= Math.max(a, b)) matched = true;
      pi += 3;
    } else {
      if (p.charCodeAt(pi) === ch) matched = true;
      pi++;
    }
  }
  return { matched: negate ? !matched : matched, next: Math.min(pi + 1, p.length) };
}
