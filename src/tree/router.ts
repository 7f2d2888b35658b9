/**
 * The router (DESIGN.md, "Storage"): the leaves in key order, each owning the keys from its fence key (`low`)
 * up to the next leaf's. Finds the leaf of a key by binary search, and routes a scan across leaves. The
 * leaves are replaced only in one synchronous step (a job's switch), so a lookup never sees a half-done
 * split or merge.
 *
 * Invariant: leaves are sorted by `low`, strictly; the first leaf's `low` is "" (every key has a leaf).
 */
import type { Entry } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { assert, ClosedError } from "../errors.js";
import type { KeyRange } from "./key-range.js";
import { type Leaf, NOT_IN_MEMORY } from "./leaf.js";
import { ScanPacer } from "./leaf-scan.js";

type Pair = [KeyString, Entry];

/** How a scan paces itself (see {@link ScanPacer}). */
export interface ScanPacing {
  /** Entries a scan examines between two yields. */
  entriesPerYield: number;
  /** Lets the event loop run; awaited between runs of `entriesPerYield` entries. */
  yieldNow: () => Promise<void>;
  /** Whether the tree has closed (its segments released): a scan then stops with ClosedError. */
  closed?: () => boolean;
}

/** The leaves of a tree in key order, and the lookups over their fence keys. */
export class Router {
  private current: Leaf[];

  constructor(
    leaves: Leaf[],
    private readonly pacing: ScanPacing,
  ) {
    assert(leaves[0] !== undefined, "a tree has at least one leaf");
    assert(leaves[0].low === "", "the first leaf holds the lowest keys");
    this.current = leaves;
  }

  /** The leaves in key order (a live view: do not keep it across a job's switch). */
  get leaves(): readonly Leaf[] {
    return this.current;
  }

  /** The leaf whose range holds `key`. */
  leafFor(key: KeyString): Leaf {
    return leafOf(this.current, key);
  }

  /** Replaces the adjacent leaves `old` by `fresh` (same key span), in one synchronous step. */
  replace(old: readonly Leaf[], fresh: readonly Leaf[]): void {
    const first = old[0];
    assert(first !== undefined, "a switch replaces at least one leaf");
    const at = this.current.indexOf(first);
    assert(at >= 0, "rewritten leaves are in the router");
    for (let i = 0; i < old.length; i++)
      assert(this.current[at + i] === old[i], "replaced leaves are adjacent");
    assert(fresh[0]?.low === first.low, "the new leaves start where the old ones did");
    this.current.splice(at, old.length, ...fresh);
  }

  /**
   * Up to `limit` live entries in `range` across leaves, in key order or reverse. Each leaf is read from a
   * consistent snapshot of that leaf; the next leaf is found by key when the previous one is done, so a
   * split or merge meanwhile neither skips nor repeats keys. The work between two yields to the event loop
   * is bounded by `pacing.entriesPerYield` entries examined, across leaves.
   * @throws CorruptionError from a segment; ClosedError if the tree closes before the scan is done.
   */
  async scan(range: KeyRange, limit: number, reverse: boolean, nowMs: number): Promise<Pair[]> {
    const out: Pair[] = [];
    const pacer = new ScanPacer(this.pacing.entriesPerYield, this.pacing.yieldNow);
    for (const [leaf, part] of this.walk(range, reverse)) {
      // The tree may have closed while the previous leaf was read: its segments are gone (seed ci-1005).
      if (this.pacing.closed?.()) throw new ClosedError();
      const found = await leaf.scan(part, limit - out.length, reverse, nowMs, pacer);
      for (const p of found) out.push(p);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * {@link scan} without waiting, in one synchronous run (so every leaf is read at one instant): NOT_IN_MEMORY
   * if some leaf needs an asynchronous block read, or if the scan would examine more than
   * `pacing.entriesPerYield` entries — a synchronous scan holds the event loop no longer than one run of
   * an asynchronous one does between two yields.
   * @throws CorruptionError from a segment; the file system's error; ClosedError once the tree closed.
   */
  scanNow(range: KeyRange, limit: number, reverse: boolean, nowMs: number): Pair[] | typeof NOT_IN_MEMORY {
    if (this.pacing.closed?.()) throw new ClosedError();
    const out: Pair[] = [];
    const budget = { entries: this.pacing.entriesPerYield };
    for (const [leaf, part] of this.walk(range, reverse)) {
      const found = leaf.scanNow(part, limit - out.length, reverse, nowMs, budget);
      if (found === NOT_IN_MEMORY) return NOT_IN_MEMORY;
      for (const p of found) out.push(p);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * The leaves a scan of `range` visits, in scan order, each with the part of the range it holds. The next
   * leaf is found by key when the caller asks for it (after reading the previous one): the part not yet
   * scanned loses each leaf done (its start, or in reverse its end, moves past the leaf), so a leaf that a
   * merge-back widened meanwhile never yields a key twice. Bounded by the leaves in range.
   */
  private *walk(range: KeyRange, reverse: boolean): Generator<[Leaf, KeyRange]> {
    let leaf: Leaf | undefined = reverse ? this.lastLeafFor(range) : this.firstLeafFor(range);
    let rest: KeyRange = { ...range };
    while (leaf !== undefined) {
      const high = this.highOf(leaf);
      const low = leaf.low;
      yield [leaf, clipRange(rest, low, high)];
      if (reverse) {
        rest = { ...rest, lt: low };
        delete rest.lte;
        leaf = this.leafBefore(low, rest);
      } else {
        if (high === undefined) break;
        rest = { ...rest, gte: high };
        delete rest.gt;
        leaf = this.leafFrom(high, rest);
      }
    }
  }

  /** The end of `leaf`'s range (the next leaf's low); undefined for the last leaf or a retired one. */
  private highOf(leaf: Leaf): KeyString | undefined {
    const i = firstAtOrAbove(this.current, leaf.low);
    return this.current[i] === leaf ? this.current[i + 1]?.low : undefined;
  }

  private firstLeafFor(range: KeyRange): Leaf {
    const from = range.gt ?? range.gte;
    return this.leafFor(from ?? "");
  }

  private lastLeafFor(range: KeyRange): Leaf {
    const to = range.lt ?? range.lte;
    if (to === undefined) return this.leafAt(this.current.length - 1);
    const leaf = this.leafFor(to);
    // With `lt`, a leaf starting exactly at the bound holds nothing in range.
    if (range.lt === undefined || leaf.low !== to || to === "") return leaf;
    return this.leafBefore(to, {}) ?? leaf;
  }

  /** The leaf holding `high` (the previous leaf's end), unless past the range's end. */
  private leafFrom(high: KeyString, range: KeyRange): Leaf | undefined {
    if (range.lt !== undefined && high >= range.lt) return undefined;
    if (range.lte !== undefined && high > range.lte) return undefined;
    return this.leafFor(high);
  }

  /** The leaf holding the keys just below `low`, unless past the range's start. */
  private leafBefore(low: KeyString, range: KeyRange): Leaf | undefined {
    if (low === "") return undefined;
    if (range.gt !== undefined && low <= range.gt) return undefined;
    if (range.gte !== undefined && low <= range.gte) return undefined;
    return this.current[firstAtOrAbove(this.current, low) - 1];
  }

  private leafAt(i: number): Leaf {
    const leaf = this.current[i];
    // The message is built only on failure: this runs on every point read.
    if (leaf === undefined) assert(false, `leaf ${i} of ${this.current.length}`);
    return leaf;
  }
}

/**
 * The leaf whose range holds `key`, in leaves sorted by low key with a first leaf at "" (the router's
 * binary search; recovery uses it before the router exists).
 */
export function leafOf(leaves: readonly Leaf[], key: KeyString): Leaf {
  const i = firstAtOrAbove(leaves, key);
  const at = leaves[i];
  if (at !== undefined && at.low === key) return at;
  const below = leaves[i - 1];
  assert(below !== undefined, "the first leaf's low is the lowest key");
  return below;
}

/**
 * Index of the first leaf whose low is at or above `key` (`leaves.length` if none): the one lower-bound
 * search over fence keys. O(log leaves).
 */
function firstAtOrAbove(leaves: readonly Leaf[], key: KeyString): number {
  let lo = 0;
  let hi = leaves.length;
  // Bounded: the interval halves every step.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const leaf = leaves[mid];
    assert(leaf !== undefined, "mid lies inside the array");
    if (leaf.low < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `range` intersected with the leaf range [low, high). */
function clipRange(range: KeyRange, low: KeyString, high: KeyString | undefined): KeyRange {
  const out: KeyRange = {};
  const lower = range.gt ?? range.gte;
  if (lower === undefined || lower < low) {
    if (low !== "") out.gte = low;
  } else if (range.gt !== undefined) out.gt = range.gt;
  else out.gte = lower;
  const upper = range.lt ?? range.lte;
  if (high !== undefined && (upper === undefined || upper >= high)) out.lt = high;
  else if (range.lt !== undefined) out.lt = range.lt;
  else if (range.lte !== undefined) out.lte = range.lte;
  return out;
}
