/**
 * The state a data-type operation (src/types/) resolves against, and the restartable way it is read.
 *
 * An operation is a pure, synchronous function of a {@link StateView}: it asks for entries (`get`) and
 * ordered runs of entries (`scan`) and returns its effects and result. When the view cannot answer without
 * I/O it throws {@link NeedRead}; the runner performs that read, caches it, and runs the operation again from
 * the start (it is pure, so a rerun computes the same thing on more knowledge). Reruns are bounded by the
 * distinct reads an operation makes. Idea: the restartable transaction functions of FoundationDB's client
 * (retry loop over a read-your-writes view) and Deno KV's atomic checks, made synchronous so one operation
 * resolves inside one prepare step of the commit pipeline.
 */
import type { Entry } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";

/** An ordered read: live (non-tombstone) entries with `gte <= key < lt`, at most `limit`, ascending or not. */
export interface ScanRequest {
  readonly gte: KeyString;
  readonly lt: KeyString;
  readonly reverse: boolean;
  readonly limit: number;
}

/** A key and its entry. */
export type Pair = readonly [KeyString, Entry];

/** Thrown by a view that needs I/O first: the runner reads, then reruns the operation. */
export class NeedRead {
  constructor(
    readonly key: KeyString | undefined,
    readonly scan: ScanRequest | undefined,
  ) {}
}

/** What an operation reads through: the newest state (writes) or the visible state (reads). */
export interface StateView {
  /** The key's newest entry (tombstones included), or undefined. @throws NeedRead. */
  get(key: KeyString): Entry | undefined;
  /** Live entries of an ordered range. @throws NeedRead. */
  scan(req: ScanRequest): readonly Pair[];
}

/** The cache key of a scan request. */
function scanId(req: ScanRequest): string {
  return `${req.reverse ? "r" : "f"}${req.limit}:${req.gte.length}:${req.gte}${req.lt}`;
}

/** Where a {@link CachingView} reads what memory does not hold. */
export interface ViewSource {
  /** The entry if it can be had without waiting, else `NOT_IN_MEMORY` (the marker below). */
  now(key: KeyString): Entry | undefined | typeof NOT_NOW;
  /** The entry, read. */
  read(key: KeyString): Promise<Entry | undefined>;
  /** Live entries of a range as the tree holds them now. */
  scan(req: ScanRequest): Promise<Pair[]>;
  /**
   * {@link scan} if it can be answered without waiting (one synchronous read of the tree), else `NOT_NOW`;
   * absent: never.
   */
  scanNow?(req: ScanRequest): Pair[] | typeof NOT_NOW;
  /** Entries not yet in the tree that override it (the pipeline's overlay); undefined for none. */
  pending?(key: KeyString): Entry | undefined;
  /** Every pending entry inside a range (the overlay's), for merging into scans. */
  pendingIn?(gte: KeyString, lt: KeyString): Pair[];
}

/** Marker: the source cannot answer without waiting. */
export const NOT_NOW: unique symbol = Symbol("not-now");

/**
 * A view over a {@link ViewSource} with a cache of what was read, for the rerun loop of {@link runOn}.
 * `gets` records each point read's answer (for validation of reads of the visible state). A scan that
 * memory answers (`scanNow`) is answered afresh on every run and not cached: it is as new as the point
 * reads of the same run. Only what waited for I/O is cached, for the reruns.
 */
export class CachingView implements StateView {
  /** What waited for I/O, kept for the reruns; created by the first read (most runs need none). */
  private cache: Map<KeyString, Entry | undefined> | undefined;
  private scans: Map<string, Pair[]> | undefined;
  /**
   * Point reads of every run: key → the entry first answered. A read that waited for I/O (a cached scan)
   * was asked for on the strength of the point reads before it (a collection's metadata names the range
   * and the count), so validation compares those first answers, not only the last run's.
   */
  readonly gets = new Map<KeyString, Entry | undefined>();
  /** Reads performed (0: every run was answered from memory, with nothing in between). */
  fills = 0;

  constructor(private readonly source: ViewSource) {}

  get(key: KeyString): Entry | undefined {
    const pending = this.source.pending?.(key);
    if (pending !== undefined) return pending;
    let found: Entry | undefined | typeof NOT_NOW;
    if (this.cache?.has(key) === true) found = this.cache.get(key);
    else {
      found = this.source.now(key);
      if (found === NOT_NOW) throw new NeedRead(key, undefined);
    }
    this.note(key, found);
    return found;
  }

  scan(req: ScanRequest): readonly Pair[] {
    const got = this.scans?.get(scanId(req));
    if (got !== undefined) return got;
    const scanNow = this.source.scanNow;
    if (scanNow !== undefined) {
      // The pending entries and the tree in one synchronous step: nothing can be applied in between.
      const pending = this.source.pendingIn?.(req.gte, req.lt) ?? [];
      const found = scanNow({ ...req, limit: req.limit + pending.length });
      if (found !== NOT_NOW) return mergePending(found, pending, req);
    }
    throw new NeedRead(undefined, req);
  }

  /**
   * Records a point read's first answer (see `gets`). A later, different answer needs no note of its own:
   * entries of a key only ever get newer, so the first answer then differs from the state validation sees.
   */
  private note(key: KeyString, found: Entry | undefined): void {
    if (!this.gets.has(key)) this.gets.set(key, found);
  }

  /** Performs the read `need` asks for into the cache. */
  async fill(need: NeedRead): Promise<void> {
    this.fills++;
    if (need.key !== undefined) {
      const entry = await this.source.read(need.key);
      this.cache ??= new Map();
      this.cache.set(need.key, entry);
      return;
    }
    const req = need.scan;
    assert(req !== undefined, "a read names a key or a range");
    // The pending entries first: they are the newest, and any applied while the tree is read equal them.
    const pending = this.source.pendingIn?.(req.gte, req.lt) ?? [];
    // Pending tombstones may hide tree entries: read that many more so `limit` live ones remain.
    const found = await this.source.scan({ ...req, limit: req.limit + pending.length });
    this.scans ??= new Map();
    this.scans.set(scanId(req), mergePending(found, pending, req));
  }
}

/**
 * `found` (the answer to `req` with its limit raised by `pending.length`, in scan order) with `pending`
 * entries overriding it, tombstones dropped, cut to `req.limit`.
 */
export function mergePending(found: readonly Pair[], pending: readonly Pair[], req: ScanRequest): Pair[] {
  if (pending.length === 0) return found.length > req.limit ? found.slice(0, req.limit) : [...found];
  const byKey = new Map<KeyString, Entry>();
  for (const [k, e] of found) byKey.set(k, e);
  for (const [k, e] of pending) byKey.set(k, e);
  const keys = [...byKey.keys()].sort();
  if (req.reverse) keys.reverse();
  // The tree's answer covers keys up to its last only when it was cut by its limit: past that, a pending
  // key could stand where an unread tree key sorts, so the merge stops at the tree's last key.
  const cut = found.length >= req.limit + pending.length ? found[found.length - 1]?.[0] : undefined;
  const out: Pair[] = [];
  for (const k of keys) {
    if (cut !== undefined && (req.reverse ? k < cut : k > cut)) break;
    const e = byKey.get(k) as Entry;
    if (e.value === undefined) continue;
    out.push([k, e]);
    if (out.length === req.limit) break;
  }
  return out;
}

/**
 * Runs `op` on `view`, reading what it asks for and rerunning it, until it completes. Bounded: every rerun
 * follows a read that adds to the cache, and an operation reads a bounded set of keys and ranges.
 * @throws whatever `op` throws besides NeedRead; the source's read errors.
 */
export async function runOn<T>(view: CachingView, op: (view: StateView) => T): Promise<T> {
  for (;;) {
    try {
      return op(view);
    } catch (err) {
      if (!(err instanceof NeedRead)) throw err;
      await view.fill(err);
    }
  }
}

/**
 * Runs `op` once on `view` if it needs no read, else undefined (the caller takes the slow path).
 * @throws whatever `op` throws besides NeedRead.
 */
export function tryNow<T>(view: CachingView, op: (view: StateView) => T): { value: T } | undefined {
  try {
    return { value: op(view) };
  } catch (err) {
    if (err instanceof NeedRead) return undefined;
    throw err;
  }
}
