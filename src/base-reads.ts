/**
 * Base reads of the write path (src/commit-pipeline.ts): the read-before-write of a key that memory cannot
 * answer, begun at the call rather than when the call reaches the head of the prepare queue, so a call
 * waiting behind others has its reads done by then, and shared by the queued calls that need the same key.
 */
import type { Entry } from "./doc/entry.js";
import type { KeyString } from "./doc/key.js";
import { assert } from "./errors.js";

/**
 * A read of a key's entry for the read-before-write of queued calls, begun at the call (not when the call
 * reaches the head of the prepare queue), so a call waiting behind others has its reads done by then.
 * Calls queued together share it. Its answer is the key's newest entry as long as no record touching the
 * key is applied after the read began: records ahead of the call that are not yet applied are in the
 * overlay, which wins over any read; one applied meanwhile marks the read `stale` (a flush may since have
 * taken it out of memory, so only a new read would see it).
 */
export interface BaseRead {
  readonly done: Promise<Entry | undefined>;
  /** `done` has resolved, with `value`. */
  settled: boolean;
  value: Entry | undefined;
  stale: boolean;
  /** Queued calls holding it; it leaves `baseReads` when the last lets go (or when it goes stale). */
  holders: number;
}

/** The base reads in flight or held, by key. Bounded by the calls in flight. */
export class BaseReads {
  private readonly reads = new Map<KeyString, BaseRead>();

  /** @param read reads a key's newest visible entry (the tree's `get`). */
  constructor(private readonly read: (k: KeyString) => Promise<Entry | undefined>) {}

  /**
   * A base read of `k`, begun now (or the one in flight, if nothing touching `k` was applied since it
   * began). The caller holds it until it prepares, and gives it back with {@link release}.
   */
  start(k: KeyString): BaseRead {
    const running = this.reads.get(k);
    if (running !== undefined) {
      running.holders++;
      return running;
    }
    const done = this.read(k);
    const read: BaseRead = { done, settled: false, value: undefined, stale: false, holders: 1 };
    // Attached before any caller awaits `done`, so `settled` is set when an await of it resumes; the
    // rejection handler also keeps a read whose call failed first (closed, poisoned) from going unheard.
    done.then(
      (value) => {
        read.settled = true;
        read.value = value;
      },
      () => undefined,
    );
    this.reads.set(k, read);
    return read;
  }

  /** A holder of `read` (of key `k`) is done with it. */
  release(k: KeyString, read: BaseRead): void {
    read.holders--;
    assert(read.holders >= 0, "a base read is released once per holder");
    if (read.holders === 0 && this.reads.get(k) === read) this.reads.delete(k);
  }

  /** A record touching `k` was applied: the read of `k` in flight or held goes stale; new ones start afresh. */
  applied(k: KeyString): void {
    const read = this.reads.get(k);
    if (read === undefined) return;
    read.stale = true;
    this.reads.delete(k);
  }
}
