/**
 * Glob patterns as Redis matches them (util.c `stringmatchlen`), over bytes: `*` any run, `?` any one byte,
 * `[abc]`, `[^abc]`, `[a-z]` classes (an unclosed class ends at the pattern's end), `\x` the literal x.
 * Used by CONFIG GET now and by KEYS/SCAN MATCH later. Matching is the classic one-star backtracking walk:
 * O(pattern x text) in the worst case, no recursion.
 */

type Token =
  | { kind: "star" }
  | { kind: "any" }
  | { kind: "byte"; byte: number }
  | { kind: "class"; negate: boolean; ranges: [number, number][] };

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const BACKSLASH = 0x5c;
const DASH = 0x2d;

function parseClass(p: Uint8Array, start: number): { token: Token; next: number } {
  let i = start;
  const negate = p[i] === CARET;
  if (negate) i++;
  const ranges: [number, number][] = [];
  while (i < p.length && p[i] !== CLOSE) {
    let c = p[i] as number;
    if (c === BACKSLASH && i + 1 < p.length) c = p[++i] as number;
    if (p[i + 1] === DASH && i + 2 < p.length && p[i + 2] !== CLOSE) {
      const end = p[i + 2] as number;
      ranges.push(c <= end ? [c, end] : [end, c]);
      i += 3;
    } else {
      ranges.push([c, c]);
      i++;
    }
  }
  return { token: { kind: "class", negate, ranges }, next: i + 1 };
}

function tokenize(p: Uint8Array): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i] as number;
    if (c === STAR) {
      if (tokens[tokens.length - 1]?.kind !== "star") tokens.push({ kind: "star" });
      i++;
    } else if (c === QUESTION) {
      tokens.push({ kind: "any" });
      i++;
    } else if (c === OPEN) {
      const { token, next } = parseClass(p, i + 1);
      tokens.push(token);
      i = next;
    } else if (c === BACKSLASH && i + 1 < p.length) {
      tokens.push({ kind: "byte", byte: p[i + 1] as number });
      i += 2;
    } else {
      tokens.push({ kind: "byte", byte: c });
      i++;
    }
  }
  return tokens;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

function matchOne(t: Token, c: number, nocase: boolean): boolean {
  switch (t.kind) {
    case "any":
      return true;
    case "byte":
      return nocase ? lower(t.byte) === lower(c) : t.byte === c;
    case "class": {
      const x = nocase ? lower(c) : c;
      const hit = t.ranges.some(([lo, hi]) =>
        nocase ? x >= lower(lo) && x <= lower(hi) : x >= lo && x <= hi,
      );
      return hit !== t.negate;
    }
    case "star":
      return false;
  }
}

/** Whether `text` matches the glob `pattern` (both bytes, or strings taken as UTF-8). */
export function globMatch(pattern: Uint8Array | string, text: Uint8Array | string, nocase = false): boolean {
  const enc = (s: Uint8Array | string): Uint8Array => (typeof s === "string" ? Buffer.from(s, "utf8") : s);
  const tokens = tokenize(enc(pattern));
  const t = enc(text);
  let ti = 0;
  let pi = 0;
  let starPi = -1;
  let starTi = 0;
  // Bounded: every pass advances ti, or pi, or the star's restart point.
  while (ti < t.length) {
    const tok = tokens[pi];
    if (tok !== undefined && tok.kind === "star") {
      starPi = pi++;
      starTi = ti;
    } else if (tok !== undefined && matchOne(tok, t[ti] as number, nocase)) {
      pi++;
      ti++;
    } else if (starPi >= 0) {
      pi = starPi + 1;
      ti = ++starTi;
    } else return false;
  }
  while (tokens[pi]?.kind === "star") pi++;
  return pi === tokens.length;
}
