/**
 * How the oracle (sim/oracle.ts) judges a scan's answer: keys strictly ascending (descending if reversed)
 * and inside the bounds; every returned key checked as a read of that key; and every key of the workload's
 * universe the answer should have covered but lacks checked as a read that saw it absent (a scan lists
 * documents only: a key holding a live collection counts as absent).
 */
import type { ModelJson } from "./model.js";
import type { Oracle, ReadTicket, ScanBounds } from "./oracle.js";

/** A scanned entry as the engine answers it. */
type Scanned = { key: string; value: unknown; version: number; expiresAtMs?: number };

/**
 * Judges a scan over `bounds`, started with `started`, answered `answer` at virtual time `endMs`;
 * `universe`: each key the workload may touch. Violations go to `oracle`.
 */
export function checkScan(
  oracle: Oracle,
  bounds: ScanBounds,
  started: ReadTicket,
  answer: readonly Scanned[],
  universe: readonly string[],
  what: string,
  endMs: number,
): void {
  for (let i = 1; i < answer.length; i++) {
    const a = (answer[i - 1] as Scanned).key;
    const b = (answer[i] as Scanned).key;
    if (bounds.reverse ? !(a > b) : !(a < b)) oracle.report(`${what}: out of order at ${a}, ${b}`);
  }
  const inBounds = (k: string): boolean =>
    (bounds.gte === undefined || k >= bounds.gte) && (bounds.lt === undefined || k < bounds.lt);
  for (const a of answer) if (!inBounds(a.key)) oracle.report(`${what}: ${a.key} out of bounds`);
  const last = answer[answer.length - 1]?.key;
  const full = answer.length === bounds.limit && last !== undefined;
  const ticket = (key: string): ReadTicket => ({
    key,
    floorPos: started.floorPos,
    startMs: started.startMs,
    seq: started.seq,
  });
  const got = new Set(answer.map((a) => a.key));
  for (const a of answer) {
    const doc = { value: a.value as ModelJson, version: a.version, expiresAtMs: a.expiresAtMs };
    oracle.readDone(ticket(a.key), doc, what, endMs);
  }
  for (const key of universe) {
    if (!inBounds(key) || got.has(key) || (full && (bounds.reverse ? key < last : key > last))) continue;
    oracle.readDone(ticket(key), undefined, `${what} (missing ${key})`, endMs, true);
  }
}
