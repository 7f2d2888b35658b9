/**
 * The body of a merge, split or merge-back (jobs.ts): the leaves' frozen buffers and segments merged into
 * new segments in one pass, cut into as many pieces as the content needs (issue 13, point 3). Entries move
 * as their encodings (raw-entry.ts), never as parsed documents; segment input comes in large sequential
 * reads past the block cache (`SegmentReader.rawRuns`); the work between two yields to the event loop is
 * bounded by `sliceBytes` of merged entries, whether the input came from disk or from memory.
 *
 * Cutting: a piece is closed once it holds `targetBytes` of entries and at least a quarter of that has
 * followed it (held back in memory): so every piece but a lone one holds between a quarter and 1.25 times
 * the target, and a short tail joins the piece before it instead of becoming a leaf of its own. A piece
 * never ends inside a key (a key is one entry), so content of one huge key stays one piece.
 *
 * Idea: LevelDB's compaction (merging iterator into output files cut by size); B-tree bulk loading.
 */
import type { KeyString } from "../doc/key.js";
import { assert } from "../errors.js";
import { mark } from "../util/coverage.js";
import { outputEntry, type RawEntry } from "./raw-entry.js";
import type { SegmentReader } from "./segment-reader.js";
import type { SegmentStream } from "./segment-writer.js";

/** Bytes of one sequential read of a job's segment input. */
export const JOB_READ_BYTES = 1024 * 1024;

/** A job's input: runs of entries in ascending key order, newest source first among sources. */
export type RawSource = AsyncIterator<RawEntry[]>;

/** One leaf a rewrite produces: its fence key and its one segment (none if it holds no entries). */
export interface Output {
  low: KeyString;
  reader: SegmentReader | undefined;
}

/** Where a rewrite writes and how it paces itself. */
export interface RewriteSink {
  /** Fence key of the first piece (the first rewritten leaf's). */
  low: KeyString;
  /** Bytes of entries per piece; Infinity for one piece (a merge). */
  targetBytes: number;
  /** Expiry horizon (Clock ms): documents expired by then are dead, as tombstones are. */
  horizonMs: number;
  /** Dead entries above this LSN are dropped; at or below it they are kept as tombstones (raw-entry.ts). */
  legacyLsn: number;
  /** True for an entry the rewrite may drop as dead (an element of a dead collection generation). */
  isDead?: (key: KeyString) => boolean;
  /** Bytes of merged entries between two `onSlice` calls. */
  sliceBytes: number;
  /** Awaited after every slice: lets the event loop (and writers waiting for a slice) run. */
  onSlice: () => Promise<void>;
  /** Opens a new segment file to fill. */
  create: () => Promise<SegmentStream>;
  /** Finishes a filled segment durably and opens it. */
  finish: (stream: SegmentStream) => Promise<SegmentReader>;
  /** Abandons a segment after a failure (closes it, removes its temp file, best effort). */
  discard: (stream: SegmentStream) => Promise<void>;
}

/**
 * Merges `sources` (newest first; each key once, from the newest source holding it) into pieces, pushing
 * each finished piece onto `outputs` (so a caller that catches a failure can release them). Returns the
 * number of entries written. Bounded by the sources' entries; at most `sliceBytes` of merged entries
 * between two `onSlice` awaits.
 * @throws CorruptionError from a segment, or an I/O error; the piece being written is discarded first.
 */
export async function rewriteInto(
  sources: RawSource[],
  sink: RewriteSink,
  outputs: Output[],
): Promise<number> {
  const merge = new RawMerge(sources);
  const cutter = new Cutter(sink, outputs);
  let collected = 0;
  let dropped = 0;
  try {
    // Bounded by the sources' entries: every slice takes at least one, or ends the loop.
    for (;;) {
      const slice = await merge.take(sink.sliceBytes);
      if (slice.length === 0) break;
      for (const raw of slice) {
        if (sink.isDead?.(raw.key)) {
          dropped++;
          continue;
        }
        const out = outputEntry(raw, sink.horizonMs, sink.legacyLsn);
        if (out === undefined) {
          collected++;
          continue;
        }
        const pending = cutter.add(out);
        if (pending !== undefined) await pending;
      }
      await cutter.writeSlice();
      await sink.onSlice();
    }
    await cutter.end();
    if (collected > 0) mark("tree.tombstone-collected", collected);
    if (dropped > 0) mark("types.dead-elements-dropped", dropped);
  } catch (err) {
    await cutter.discard();
    await merge.close();
    throw err;
  }
  return cutter.entries;
}

/**
 * K-way merge of sorted runs, newest source first: each key once, from the first source that has it
 * (LevelDB's MergingIterator over batches: it awaits only when a source's run is used up).
 */
class RawMerge {
  private readonly runs: (RawEntry[] | undefined)[];
  private readonly at: number[];
  private readonly done: boolean[];

  constructor(private readonly sources: RawSource[]) {
    this.runs = sources.map(() => undefined);
    this.at = sources.map(() => 0);
    this.done = sources.map(() => false);
  }

  /** The next merged entries, about `bytes` of them (at least one); empty once every source is done. */
  async take(bytes: number): Promise<RawEntry[]> {
    const out: RawEntry[] = [];
    let taken = 0;
    // Bounded by `bytes` (every round takes one entry) and by the sources' entries.
    while (taken < bytes) {
      if (this.starved()) await this.refill();
      let min: RawEntry | undefined;
      for (let i = 0; i < this.runs.length; i++) {
        const head = this.runs[i]?.[this.at[i] ?? 0];
        if (head !== undefined && (min === undefined || head.key < min.key)) min = head;
      }
      if (min === undefined) break;
      out.push(min);
      taken += min.end - min.start;
      for (let i = 0; i < this.runs.length; i++) {
        const at = this.at[i] ?? 0;
        if (this.runs[i]?.[at]?.key === min.key) this.at[i] = at + 1;
      }
    }
    return out;
  }

  /** Closes every source (after a failure). */
  async close(): Promise<void> {
    for (const s of this.sources) await s.return?.();
  }

  /** Whether some source not yet done has no entry at hand. */
  private starved(): boolean {
    for (let i = 0; i < this.runs.length; i++) {
      if (this.done[i] !== true && (this.runs[i]?.length ?? 0) <= (this.at[i] ?? 0)) return true;
    }
    return false;
  }

  /** Fetches the next run of every starved source (bounded by its runs: empty runs are skipped). */
  private async refill(): Promise<void> {
    for (let i = 0; i < this.sources.length; i++) {
      const source = this.sources[i];
      assert(source !== undefined, "a source per run");
      while (this.done[i] !== true && (this.runs[i]?.length ?? 0) <= (this.at[i] ?? 0)) {
        const r = await source.next();
        this.runs[i] = r.done === true ? undefined : r.value;
        this.at[i] = 0;
        if (r.done === true) this.done[i] = true;
      }
    }
  }
}

/** Cuts the merged stream into pieces (see the file comment). */
class Cutter {
  entries = 0;
  private open: SegmentStream | undefined;
  /** Entries after a full open piece, not yet written: a new piece once they reach a quarter target. */
  private held: RawEntry[] = [];
  private heldBytes = 0;
  /** Fence keys of the pieces opened, in order. */
  private readonly lows: KeyString[] = [];

  constructor(
    private readonly sink: RewriteSink,
    private readonly outputs: Output[],
  ) {}

  /** Adds one entry; a promise to await when it opened or closed a piece, else undefined. */
  add(raw: RawEntry): Promise<void> | undefined {
    this.entries++;
    const open = this.open;
    if (open === undefined) return this.start([raw]);
    if (open.entryBytes < this.sink.targetBytes) {
      open.addRaw(raw);
      return undefined;
    }
    this.held.push(raw);
    this.heldBytes += raw.end - raw.start;
    if (this.heldBytes * 4 < this.sink.targetBytes) return undefined;
    return this.next();
  }

  /** Writes the open piece's pending blocks once a slice is pending. */
  async writeSlice(): Promise<void> {
    await this.open?.writeSlice();
  }

  /** Ends the last piece; entries held back join it (a short tail makes no leaf of its own). */
  async end(): Promise<void> {
    const open = this.open;
    if (open === undefined) {
      this.outputs.push({ low: this.sink.low, reader: undefined });
      return;
    }
    for (const raw of this.held) open.addRaw(raw);
    this.held = [];
    this.open = undefined;
    this.outputs.push({ low: this.pieceLow(), reader: await this.sink.finish(open) });
  }

  /** Abandons the open piece, if any (after a failure). */
  async discard(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    if (open !== undefined) await this.sink.discard(open);
  }

  /** Closes the full open piece and starts the next with the entries held back. */
  private async next(): Promise<void> {
    const open = this.open;
    assert(open !== undefined, "a piece is open when entries are held back");
    this.open = undefined;
    this.outputs.push({ low: this.pieceLow(), reader: await this.sink.finish(open) });
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    await this.start(held);
  }

  /** Opens a piece holding `first` (entries ascending, at least one). */
  private async start(first: RawEntry[]): Promise<void> {
    assert(first[0] !== undefined, "a piece starts with an entry");
    const stream = await this.sink.create();
    this.open = stream;
    this.lows.push(this.outputs.length === 0 ? this.sink.low : first[0].key);
    for (const raw of first) stream.addRaw(raw);
  }

  /** The fence key of the piece being finished (the next one not yet in `outputs`). */
  private pieceLow(): KeyString {
    const low = this.lows[this.outputs.length];
    assert(low !== undefined, "every piece opened has a fence key");
    return low;
  }
}
