/**
 * The WAL writer with group commit (DESIGN.md durability contract, points 1, 3, 4 and 8).
 *
 * - Appends get their LSN at once, in call order, and wait in a queue.
 * - One loop drains the queue: it takes a group of queued records (capped at `groupBytesMax`, at least one
 *   record), writes it and makes it durable with one fdatasync in one `File.writeAndSync` request (one trip
 *   on the real disk's sync thread), then runs each record's
 *   `onDurable` in LSN order and resolves their promises. While that fdatasync runs, later appends
 *   accumulate into the next group. No timer ever delays a commit: the loop starts when the first record
 *   arrives and runs while there is work. Idea: group commit as in LevelDB `DBImpl::Write` writer queue.
 * - Gathering (with `yieldTurn`, the engine clock's `yield`): before taking a group the loop lets the event
 *   loop finish its turn, so every append made while that turn handled its input joins, and then lets more
 *   turns run while each adds records (at most {@link GATHER_TURNS_MAX}), so the callers just acknowledged,
 *   whose next writes arrive a moment later, join too instead of waiting a whole fdatasync (as Redis's
 *   `appendfsync always` fsyncs once per event-loop iteration, after reading every ready client). Without
 *   it, a server's connections split into two cohorts alternating on the disk, each group half of them.
 *   A turn is no timer: it resolves after the input already pending, never waits for time to pass.
 * - A failed write or fdatasync poisons the writer: the group in flight, everything queued and every later
 *   append reject with `PoisonedError`; nothing is retried. The file is first cut back to its durable end
 *   (a truncate, no fdatasync), so a restart does not find the failed group in the page cache.
 * - Files rotate once they reach `fileBytesMax`, or once the WAL floor has entered a file holding an eighth
 *   of that (`takeFilesBelow`): the next group goes to a new file named after its first LSN, created with
 *   its header and made durable with `syncDir`, then named in WALHEAD, before any record is written to it
 *   (src/wal/wal-head.ts).
 * - Each group first rewrites one of the current file's two durable-LSN slots (alternating, never the one
 *   holding the best claim) with the LSN durable before the group, then writes the group; the group's one
 *   fdatasync covers both. Recovery then knows every earlier group was acknowledged, even when damage wider
 *   than the final group destroys the records that would prove it (docs/wal-format.md).
 * - The slots also carry the clock floor (src/engine-clock.ts): the largest time noted (`noteClockFloor`) or
 *   waited for (`waitClockFloor`). A group's slot rewrite carries it; a floor waited for while no record is
 *   queued gets a "floor only" commit: one slot rewrite and one fdatasync, no record, so a durable floor never
 *   consumes an LSN. A new file's header carries the durable floor forward.
 *
 * Invariant: a group never spans two files, and a file is only left behind once all of it is durable.
 */
import { Buffer } from "node:buffer";
import { assert, ClosedError, PoisonedError } from "../errors.js";
import type { File, FileSystem, FileWrite } from "../io/file-system.js";
import { ioErrorCode, WriteAndSyncError } from "../io/file-system.js";
import { mark } from "../util/coverage.js";
import { ClockFloor } from "./clock-floor.js";
import type { CommitLog } from "./commit-log.js";
import {
  encodeRecordInto,
  encodeSlot,
  FILE_HEADER_BYTES,
  nextSlot,
  HEADER_BYTES as RECORD_HEADER_BYTES,
  type RecordType,
  type SlotFloors,
  type SlotValues,
  slotClaim,
  slotFloor,
  slotOffset,
  walFileName,
} from "./format.js";
import { countFilesWhollyBelow, type WalFileInfo } from "./wal-files.js";
import { createWalFile, type WalTail, writeWalHead } from "./wal-head.js";

export { countFilesWhollyBelow, type WalFileInfo } from "./wal-files.js";

/** Tuning knobs of the writer. */
export interface WalWriterOptions {
  /** A file is rotated at the first group boundary at or past this size, in bytes. */
  fileBytesMax: number;
  /** Most bytes written by one group commit (a single larger record still goes alone). */
  groupBytesMax: number;
  /**
   * Lets the event loop run one turn (the engine clock's `yield`): then the writer gathers each group over
   * the turns that add to it (see the module comment). Absent: a group starts with what is queued at once.
   */
  yieldTurn?: () => Promise<void>;
}

/** Most event-loop turns a group waits for while they keep adding records, after the first. */
export const GATHER_TURNS_MAX = 3;

interface QueuedRecord {
  kind: "record";
  type: RecordType;
  lsn: number;
  payload: Uint8Array;
  onDurable: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface QueuedRotate {
  kind: "rotate";
  resolve: () => void;
  reject: (err: unknown) => void;
}

type Queued = QueuedRecord | QueuedRotate;

/** Counters for stats and benchmarks. */
export interface WalWriterStats {
  groups: number;
  records: number;
  bytesWritten: number;
  syncs: number;
}

/** Appends records to the WAL; see the module comment for the protocol. */
export class WalWriter implements CommitLog {
  private readonly queue: Queued[] = [];
  private running = false;
  private poisonError: PoisonedError | undefined;
  private nextLsn: number;
  private durable: number;
  private idleWaiters: (() => void)[] = [];
  private durableWaiters: { lsn: number; resolve: () => void; reject: (err: unknown) => void }[] = [];
  readonly stats: WalWriterStats = { groups: 0, records: 0, bytesWritten: 0, syncs: 0 };
  private file: File;
  /** Where the current file's valid data ends (its header included). */
  private offset: number;
  /** The current file's durable-LSN slots as they are now (in the page cache). */
  private slots: SlotValues;
  /** The clock floors of `slots`. */
  private slotFloors: SlotFloors;
  /** The clock floor requested (the next slot rewrite carries it) and durable, and the waits on it. */
  private readonly floor: ClockFloor;
  /** `close` was called: no floor-only commit starts any more. */
  private closing = false;
  /** A rotation asked for by a floor move is queued or running (one at a time). */
  private rotationQueued = false;

  /**
   * @param tail the open last WAL file, whose valid data ends at `tail.offsetBytes` (recovery cut any torn
   *   tail), and its slots.
   * @param files every live WAL file, oldest first, the last being `tail.file`.
   * @param nextLsn the LSN the next append gets.
   * @param clockFloorMs the durable clock floor recovered (engine clock ms); new files carry it forward.
   */
  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    tail: WalTail,
    private readonly files: WalFileInfo[],
    nextLsn: number,
    private readonly options: WalWriterOptions,
    clockFloorMs = 0,
  ) {
    assert(files.length > 0, "the writer needs a current file");
    assert(tail.offsetBytes >= FILE_HEADER_BYTES, "the current file holds its header");
    assert(slotClaim(tail.slots) < nextLsn, "no slot claims an LSN not yet appended");
    this.file = tail.file;
    this.offset = tail.offsetBytes;
    this.slots = [...tail.slots];
    this.slotFloors = [...tail.floors];
    this.floor = new ClockFloor(Math.max(clockFloorMs, slotFloor(tail.floors)));
    this.nextLsn = nextLsn;
    this.durable = nextLsn - 1;
  }

  /** LSN of the last durable record. */
  get durableLsn(): number {
    return this.durable;
  }

  /** The LSN the next `append` will get. */
  get nextLsnPreview(): number {
    return this.nextLsn;
  }

  /** The largest clock floor known durable (engine clock ms). */
  get durableClockFloorMs(): number {
    return this.floor.durableMs;
  }

  /**
   * Notes that the engine clock reached `ms`: the next slot rewrite carries it. No I/O by itself; the
   * pipeline notes each record's call time before appending it.
   */
  noteClockFloor(ms: number): void {
    this.floor.note(ms);
  }

  /**
   * Resolves once a clock floor of at least `ms` is durable: with the next group commit, or, if no record
   * is queued, with a floor-only commit (a slot rewrite and an fdatasync, no record, no LSN).
   * @throws PoisonedError if the writer is (or becomes) poisoned first; ClosedError once closing.
   */
  waitClockFloor(ms: number): Promise<void> {
    if (ms <= this.floor.durableMs) return Promise.resolve();
    if (this.poisonError) return Promise.reject(this.poisonError);
    if (this.closing) return Promise.reject(new ClosedError());
    const done = this.floor.wait(ms);
    this.kick();
    return done;
  }

  /** The poison error, if a write or sync failed. */
  get poisoned(): PoisonedError | undefined {
    return this.poisonError;
  }

  /** Live WAL files, oldest first. */
  liveFiles(): readonly WalFileInfo[] {
    return this.files;
  }

  /**
   * Queues one record. Its LSN is assigned now, in call order. `onDurable` runs once the record is durable,
   * before the promise resolves and before any later record's `onDurable`.
   * @throws PoisonedError (synchronously) once poisoned.
   */
  append(
    type: RecordType,
    payload: Uint8Array,
    onDurable: () => void,
  ): { lsn: number; durable: Promise<void> } {
    if (this.poisonError) throw this.poisonError;
    const lsn = this.nextLsn++;
    const durable = new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: "record", type, lsn, payload, onDurable, resolve, reject });
    });
    this.kick();
    return { lsn, durable };
  }

  /** Queues a rotation: records appended after this call go to a new file. Resolves once it is done. */
  rotate(): Promise<void> {
    if (this.poisonError) return Promise.reject(this.poisonError);
    const done = new Promise<void>((resolve, reject) => this.queue.push({ kind: "rotate", resolve, reject }));
    this.kick();
    return done;
  }

  /**
   * Resolves once every record up to `lsn` (already appended) is durable, without waiting for later ones —
   * unlike `idle`, it never starves under a steady stream of appends.
   * @throws PoisonedError if the writer is (or becomes) poisoned first.
   */
  waitDurable(lsn: number): Promise<void> {
    assert(lsn < this.nextLsn, "wait only for appended records");
    if (this.durable >= lsn) return Promise.resolve();
    if (this.poisonError) return Promise.reject(this.poisonError);
    return new Promise((resolve, reject) => this.durableWaiters.push({ lsn, resolve, reject }));
  }

  /** Resolves once the queue is empty and no group is in flight (or the writer is poisoned). */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * The WAL floor (the manifest's checkpoint) moved to `lsn`: forgets WAL files that lie wholly at or below
   * it and returns their names (never the current file). When the floor has entered the current file and
   * that file holds at least an eighth of `fileBytesMax`, a rotation is queued (not awaited), so the part
   * below the floor goes with the file at a later floor move: recovery reads every live file from its
   * start, and a file rotated only at `fileBytesMax` could hold that much below the floor (issue 13:
   * restart time). A failed rotation poisons the writer like any.
   */
  takeFilesBelow(lsn: number): string[] {
    const taken = this.files.splice(0, countFilesWhollyBelow(this.files, lsn)).map((f) => f.name);
    const current = this.files[this.files.length - 1];
    assert(current !== undefined, "the writer has a current file");
    const floorInCurrent = current.firstLsn <= lsn;
    const sizable = this.offset * 8 >= this.options.fileBytesMax;
    if (floorInCurrent && sizable && !this.rotationQueued && !this.closing && !this.poisonError) {
      this.rotationQueued = true;
      mark("wal.floor-rotation");
      this.rotate().then(
        () => {
          this.rotationQueued = false;
        },
        () => undefined, // the writer is poisoned: every later append says so
      );
    }
    return taken;
  }

  /** Waits for queued work, then closes the current file. */
  async close(): Promise<void> {
    this.closing = true;
    await this.idle();
    await this.file.close();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  private async run(): Promise<void> {
    // Bounded: each iteration removes at least one queue entry, or every floor waiter (a floor-only commit
    // makes the largest floor requested durable, or poisons).
    while (!this.poisonError) {
      const head = this.queue[0];
      if (head === undefined) {
        if (!this.floor.waiting) break;
        try {
          await this.commitFloorOnly();
        } catch (err) {
          this.poison(err);
        }
        continue;
      }
      if (head.kind === "rotate") {
        this.queue.shift();
        try {
          await this.rotateNow();
          head.resolve();
        } catch (err) {
          head.reject(this.poison(err));
        }
        continue;
      }
      if (this.options.yieldTurn !== undefined) await this.gather(this.options.yieldTurn);
      if (this.poisonError) break;
      const group = this.takeGroup();
      if (group.length === 0) continue; // a rotation was queued meanwhile: it goes first
      try {
        if (this.offset >= this.options.fileBytesMax) await this.rotateNow();
        await this.commitGroup(group);
      } catch (err) {
        const poison = this.poison(err);
        for (const r of group) r.reject(poison);
        continue;
      }
      this.acknowledge(group);
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Lets the turn that queued the head record end, then more turns while each queues records (bounded by
   * {@link GATHER_TURNS_MAX}, and by `groupBytesMax` worth of records queued).
   */
  private async gather(yieldTurn: () => Promise<void>): Promise<void> {
    await yieldTurn();
    for (let turn = 0; turn < GATHER_TURNS_MAX; turn++) {
      const queued = this.queue.length;
      if (this.queuedBytesAtLeast(this.options.groupBytesMax)) return;
      await yieldTurn();
      if (this.queue.length === queued || this.poisonError) return;
    }
  }

  /** Whether the records queued hold at least `bytes` of payload. */
  private queuedBytesAtLeast(bytes: number): boolean {
    let total = 0;
    // Bounded by the queue length.
    for (const q of this.queue) {
      if (q.kind === "record") total += q.payload.length;
      if (total >= bytes) return true;
    }
    return false;
  }

  /** `group` is durable: its callbacks run in LSN order, then its promises and the waiters it satisfies resolve. */
  private acknowledge(group: readonly QueuedRecord[]): void {
    for (const r of group) r.onDurable();
    for (const r of group) r.resolve();
    if (this.durableWaiters.length > 0) {
      const ready = this.durableWaiters.filter((w) => w.lsn <= this.durable);
      this.durableWaiters = this.durableWaiters.filter((w) => w.lsn > this.durable);
      for (const w of ready) w.resolve();
    }
    this.floor.madeDurable(this.floorInSlots);
  }

  /**
   * Makes the requested clock floor durable without a record: one slot rewrite, one fdatasync. A failure
   * poisons the writer like a failed group (nothing is retried); the slot rewritten was never the newest,
   * so the floor and claim already durable survive a torn rewrite.
   */
  private async commitFloorOnly(): Promise<void> {
    const slot = this.slotWrite();
    try {
      // One request: the slot rewrite (if the floor or the claim grew) and the fdatasync covering it.
      await this.file.writeAndSync(slot === undefined ? [] : [slot]);
    } catch (err) {
      const cause = err instanceof WriteAndSyncError ? err.cause : err;
      mark(`poison.floor-sync.${ioErrorCode(cause) ?? "unknown"}`);
      throw cause;
    }
    this.stats.syncs++;
    mark("wal.floor-only-commit");
    this.floor.madeDurable(this.floorInSlots);
  }

  /** The clock floor the current file's slots carry (in the page cache until the next fdatasync). */
  private get floorInSlots(): number {
    return slotFloor(this.slotFloors);
  }

  private takeGroup(): QueuedRecord[] {
    const group: QueuedRecord[] = [];
    let bytes = 0;
    // Bounded by the queue length and by groupBytesMax.
    for (let next = this.queue[0]; next !== undefined; next = this.queue[0]) {
      if (next.kind !== "record") break;
      if (group.length > 0 && bytes + next.payload.length > this.options.groupBytesMax) break;
      bytes += next.payload.length;
      group.push(next);
      this.queue.shift();
    }
    return group;
  }

  /** Writes and fdatasyncs one group. */
  private async commitGroup(group: QueuedRecord[]): Promise<void> {
    const first = group[0];
    assert(first !== undefined, "a group holds at least one record");
    assert(first.lsn === this.durable + 1, "a group starts right after the durable LSN");
    const current = this.files[this.files.length - 1];
    assert(current !== undefined, "the writer has a current file");
    if (this.offset === FILE_HEADER_BYTES) {
      assert(first.lsn === current.firstLsn, "a file's first record has the LSN its name says");
    }
    // Every record is encoded straight into one buffer sized for the group: no buffer per record, no join.
    let bytes = 0;
    for (const r of group) bytes += RECORD_HEADER_BYTES + r.payload.length;
    const data = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (const r of group) at = encodeRecordInto(data, at, r.type, r.lsn, first.lsn, r.payload);
    assert(at === bytes, "the group write holds every record whole");
    const start = this.offset;
    const slot = this.slotWrite();
    const writes: FileWrite[] = slot === undefined ? [] : [slot];
    writes.push({ offsetBytes: start, data });
    try {
      // One request, one trip on the real disk: the slot, the group, then the fdatasync covering both.
      await this.file.writeAndSync(writes);
    } catch (err) {
      const failed = err instanceof WriteAndSyncError ? err : new WriteAndSyncError("write", err);
      const cause = failed.cause;
      mark(`poison.${failed.step === "sync" ? "fsync" : "write"}.${ioErrorCode(cause) ?? "unknown"}`);
      await this.forgetUnsynced(start);
      throw cause;
    }
    this.offset += data.length;
    assert(this.offset === start + data.length, "the file grows by exactly the group");
    this.stats.bytesWritten += data.length;
    const last = group[group.length - 1];
    assert(last !== undefined, "a group holds at least one record");
    assert(last.lsn === this.durable + group.length, "groups are contiguous in LSN order");
    this.stats.syncs++;
    this.stats.groups++;
    this.stats.records += group.length;
    this.durable = last.lsn;
  }

  /**
   * The rewrite of one slot of the current file with the durable LSN and the requested clock floor, if either
   * is more than the slots hold: the slot that is not the newest (one that does not verify first), so a torn
   * rewrite leaves the newest claim and floor intact. It goes first in the group's request (or alone, for a
   * floor-only commit); the request's fdatasync makes it durable. Undefined when the slots already hold both.
   */
  private slotWrite(): FileWrite | undefined {
    const floor = Math.max(this.floor.requestedMs, this.floorInSlots);
    if (this.durable <= slotClaim(this.slots) && floor <= this.floorInSlots) return undefined;
    const index = nextSlot(this.slots, this.slotFloors);
    const current = this.files[this.files.length - 1];
    assert(current !== undefined, "the writer has a current file");
    const firstLsn = current.firstLsn;
    assert(this.durable >= firstLsn - 1, "a slot claims at least the LSN before its file");
    const write = { offsetBytes: slotOffset(index), data: encodeSlot(index, firstLsn, this.durable, floor) };
    // A failed request poisons the writer, so the slots are never consulted again after one.
    this.slots[index] = this.durable;
    this.slotFloors[index] = floor;
    assert(slotClaim(this.slots) === this.durable, "the new claim is the best one");
    assert(this.floorInSlots === floor, "the new floor is the best one");
    return write;
  }

  /**
   * After a failed group write or fdatasync, cuts the file back to `offsetBytes`, where the durable data ends
   * (best effort; the poison stands either way). Linux drops the pages of a failed fsync but keeps them
   * readable, marked clean, so a process restarted without a reboot would otherwise recover the never-durable
   * group from the page cache and append after it, leaving a hole on disk behind later acknowledged groups
   * ("Can Applications Recover from fsync Failures?", ATC'20). No fdatasync follows: nothing is retried, and
   * the medium already ends there; a crash may leave junk past it, which recovery cuts as a torn tail.
   */
  private async forgetUnsynced(offsetBytes: number): Promise<void> {
    try {
      await this.file.truncate(offsetBytes);
    } catch {
      // Nothing more to do: every caller is told FUSEDB_POISONED, and recovery cuts what it cannot trust.
    }
  }

  /** Leaves the current file for a new one; see the protocol in src/wal/wal-head.ts. */
  private async rotateNow(): Promise<void> {
    if (this.offset === FILE_HEADER_BYTES) return; // the current file holds no record: nothing to leave behind
    assert(this.offset > FILE_HEADER_BYTES, "a file holds its header");
    const firstLsn = this.durable + 1;
    const name = walFileName(firstLsn);
    const file = await createWalFile(this.fs, this.dir, firstLsn, this.floor.durableMs);
    try {
      await writeWalHead(this.fs, this.dir, firstLsn);
    } catch (err) {
      // The new file is never used (the writer is poisoned): release its handle, keep the first error.
      await file.close().catch(() => undefined);
      throw err;
    }
    const old = this.file;
    this.file = file;
    this.offset = FILE_HEADER_BYTES;
    this.slots = [firstLsn - 1, firstLsn - 1];
    this.slotFloors = [this.floor.durableMs, this.floor.durableMs];
    this.files.push({ name, firstLsn });
    await old.close();
  }

  private poison(err: unknown): PoisonedError {
    if (!this.poisonError) this.poisonError = err instanceof PoisonedError ? err : new PoisonedError(err);
    const poison = this.poisonError;
    // Reject everything queued; later appends throw synchronously.
    for (const q of this.queue.splice(0)) q.reject(poison);
    for (const w of this.durableWaiters.splice(0)) w.reject(poison);
    this.floor.rejectAll(poison);
    return poison;
  }
}
