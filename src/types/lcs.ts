/**
 * LCS (Redis 7.0, redis.io/commands/lcs): the longest common subsequence of two strings by the textbook
 * dynamic program, walked back from the end as Redis walks it, so the string and the match ranges (IDX)
 * are Redis's own. The table holds (|a|+1)·(|b|+1) 32-bit cells; a table above {@link LCS_TABLE_BYTES_MAX}
 * is refused as Redis refuses one above proto-max-bulk-len.
 */
import { DataTypeError } from "../errors.js";

/** Largest table one LCS may build: 64 MiB (16M cells; Redis allows up to proto-max-bulk-len, 512 MB). */
export const LCS_TABLE_BYTES_MAX = 64 * 1024 * 1024;

/** One match range: positions in a and in b (inclusive), and its length. */
export interface LcsMatch {
  a: [number, number];
  b: [number, number];
  len: number;
}

/** What LCS computes: the subsequence (binary string), its length, and the ranges (end first). */
export interface LcsResult {
  text: string;
  len: number;
  matches: LcsMatch[];
}

/**
 * LCS of `a` and `b`; ranges shorter than `minMatchLen` are left out of `matches`.
 * @throws DataTypeError FUSEDB_OUT_OF_RANGE when the table would exceed {@link LCS_TABLE_BYTES_MAX}.
 */
export function lcs(a: string, b: string, minMatchLen = 0): LcsResult {
  const alen = a.length;
  const blen = b.length;
  if ((alen + 1) * (blen + 1) * 4 > LCS_TABLE_BYTES_MAX) {
    throw new DataTypeError(
      "FUSEDB_OUT_OF_RANGE",
      "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
    );
  }
  const w = blen + 1;
  const t = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    for (let j = 1; j <= blen; j++) {
      t[i * w + j] =
        a.charCodeAt(i - 1) === b.charCodeAt(j - 1)
          ? (t[(i - 1) * w + j - 1] as number) + 1
          : Math.max(t[(i - 1) * w + j] as number, t[i * w + j - 1] as number);
    }
  }
  const len = t[alen * w + blen] as number;
  const chars: string[] = [];
  const matches: LcsMatch[] = [];
  // The current range, walking back: unset while aStart === alen (Redis's marker).
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars.push(a.charAt(i - 1));
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      i--;
      j--;
    } else {
      if ((t[(i - 1) * w + j] as number) > (t[i * w + j - 1] as number)) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen) {
        matches.push({ a: [aStart, aEnd], b: [bStart, bEnd], len: matchLen });
      }
      aStart = alen;
    }
  }
  return { text: chars.reverse().join(""), len, matches };
}
