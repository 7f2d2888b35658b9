/**
 * FuseDB: the engine's public face. Validates and encodes input, then takes one private path per kind of
 * work (abstract-level's habit): mutations go through `commit`, reads through the leaf.
 *
 * Write path (DESIGN.md durability contract):
 * 1. Mutations are prepared one at a time in call order. Each resolves against the newest state, including
 *    mutations already prepared but not yet durable (the overlay), so same-key mutations inside one group
 *    commit each get their own version and compose in order.
 * 2. The resolved effects become one WAL record (an atomic batch), queued for group commit.
 * 3. Once the record is durable the effects are applied to the leaf's buffer (visible to readers), and only
 *    then does the caller's promise resolve. Readers never see the overlay.
 */
import type { Entry, Mutation } from "./doc/entry.js";
import { resolveMutation, validateMutation } from "./doc/entry.js";
import type { Json } from "./doc/json.js";
import type { KeyInput, KeyString } from "./doc/key.js";
import { KEY_BYTES_LIMIT, keyBytes, toKeyString } from "./doc/key.js";
import { assert, ClosedError, CorruptionError, InvalidArgumentError, PoisonedError } from "./errors.js";
import type { Clock } from "./io/clock.js";
import type { DirLock, FileSystem } from "./io/file-system.js";
import { joinPath, parentPath } from "./io/file-system.js";
import type { KeyRange } from "./tree/key-range.js";
import { Leaf, NOT_IN_MEMORY } from "./tree/leaf.js";
import type { Manifest } from "./tree/manifest.js";
import { emptyManifest, MANIFEST_FILE, readManifest, writeManifest } from "./tree/manifest.js";
import { parseSegmentFileName, segmentFileName } from "./tree/segment-format.js";
import { SegmentReader } from "./tree/segment-reader.js";
import { writeSegment } from "./tree/segment-writer.js";
import { decodeBatch, type Effect, encodeBatch } from "./wal/batch-codec.js";
import { parseWalFileName, RECORD_PAYLOAD_BYTES_MAX, RecordType, walFileName } from "./wal/format.js";
import { recoverWal, type WalRecovery } from "./wal/wal-reader.js";
import { type WalFileInfo, WalWriter, type WalWriterStats } from "./wal/wal-writer.js";

/** Knobs, all optional. Sizes in bytes. */
export interface FuseDBOptions {
  /** Largest key, in bytes. Default 1024, at most 65535 (the formats' u16 key length). */
  keyBytesMax?: number;
  /** Largest document as UTF-8 JSON text, in bytes. Default 1 MiB. */
  valueBytesMax?: number;
  /** WAL file rotation bound. Default 64 MiB. */
  walFileBytesMax?: number;
  /** Most bytes in one group commit. Default 4 MiB. */
  groupCommitBytesMax?: number;
  /** Parsed segment blocks cached per segment. Default 256. */
  cacheBlocksMax?: number;
}

/** Where and on what the database runs. `fs` and `clock` are the seam (src/io). */
export interface FuseDBConfig extends FuseDBOptions {
  /** Data directory. */
  dir: string;
  fs: FileSystem;
  clock: Clock;
}

/** A document and its version, as `get` returns it. The value is deep-frozen. */
export interface Versioned {
  value: Json;
  version: number;
}

/** What a single-key mutation resolves to once durable. */
export interface WriteResult {
  /** The key's new version. */
  version: number;
  /** LSN of the WAL record that holds the mutation. */
  lsn: number;
}

/** What `incr` and `patch` resolve to: the new document too. */
export interface ValueWriteResult extends WriteResult {
  value: Json;
}

/** What `batch` resolves to: one result per mutation, in order, all in one WAL record. */
export interface BatchResult {
  lsn: number;
  results: { version: number; value: Json | undefined }[];
}

/** Bounds of a scan: at most one of `gt`/`gte` and one of `lt`/`lte`; keys as strings (UTF-8) or bytes. */
export interface ScanOptions {
  gt?: KeyInput;
  gte?: KeyInput;
  lt?: KeyInput;
  lte?: KeyInput;
  /** Most entries returned. Default 1000, at most {@link SCAN_LIMIT_MAX}. */
  limit?: number;
  /** Descending key order. Default false. */
  reverse?: boolean;
}

/** One entry of a scan. `key` is the UTF-8 reading of `keyBytes`. */
export interface ScanEntry extends Versioned {
  key: string;
  keyBytes: Uint8Array;
}

/** Upper bound on `ScanOptions.limit`: scans are bounded (DESIGN.md, non-goal: analytical scans). */
export const SCAN_LIMIT_MAX = 100_000;

/** What recovery did when the database was opened. */
export interface RecoveryInfo {
  checkpointLsn: number;
  /** WAL records replayed above the checkpoint. */
  replayedRecords: number;
  /** LSN of the last durable record after recovery. */
  lastLsn: number;
  tornTail: WalRecovery["tornTail"];
  /** Orphan files removed (temp files, unreferenced segments, obsolete WAL files). */
  removedFiles: string[];
  /** Clock milliseconds spent in open. */
  durationMs: number;
}

/** Counters for `stats()`. */
export interface FuseDBStats {
  wal: WalWriterStats;
  durableLsn: number;
  checkpointLsn: number;
  bufferedEntries: number;
  bufferedBytes: number;
  segmentBytes: number;
  walFiles: number;
}

const DEFAULTS: Required<FuseDBOptions> = {
  keyBytesMax: 1024,
  valueBytesMax: 1024 * 1024,
  walFileBytesMax: 64 * 1024 * 1024,
  groupCommitBytesMax: 4 * 1024 * 1024,
  cacheBlocksMax: 256,
};

interface Prepared<T> {
  durable: Promise<void>;
  value: T;
}

/** The database handle. Open it with {@link FuseDB.open} (or `open` from the package root). */
export class FuseDB {
  private readonly overlay = new Map<KeyString, Entry>();
  private prepTail: Promise<void> = Promise.resolve();
  private prepQueued = 0;
  private checkpointTail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private poisonError: PoisonedError | CorruptionError | undefined;
  private appliedLsn: number;

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    private readonly options: Required<FuseDBOptions>,
    private readonly lock: DirLock,
    private manifest: Manifest,
    private readonly leaf: Leaf,
    private readonly wal: WalWriter,
    /** What recovery did at open. */
    readonly recovery: RecoveryInfo,
  ) {
    this.appliedLsn = wal.durableLsn;
  }

  /**
   * Opens (creating if needed) the database in `config.dir`, recovering from its WAL and segments.
   * @throws LockedError (FUSEDB_LOCKED) if another process or handle has it open.
   * @throws CorruptionError (FUSEDB_CORRUPTION) naming file and offset if durable data is damaged.
   */
  static async open(config: FuseDBConfig): Promise<FuseDB> {
    const options = resolveOptions(config);
    const { fs, clock, dir } = config;
    const started = clock.now();
    if (!(await fs.exists(dir))) {
      // A new directory's entry is durable only once its parent is synced (the seam's contract).
      await fs.mkdir(dir);
      await fs.syncDir(parentPath(dir));
    }
    const lock = await fs.lock(dir);
    try {
      let manifest = await readManifest(fs, dir);
      const names = await fs.list(dir);
      const walFiles = names
        .map((name) => ({ name, firstLsn: parseWalFileName(name) }))
        .filter((f): f is WalFileInfo => f.firstLsn !== undefined)
        .sort((a, b) => a.firstLsn - b.firstLsn);
      if (!manifest) {
        if (walFiles.length > 0 || names.some((n) => parseSegmentFileName(n) !== undefined)) {
          throw new CorruptionError(MANIFEST_FILE, 0, "missing, but WAL or segment files exist");
        }
        manifest = emptyManifest();
        await writeManifest(fs, dir, manifest);
      }
      const removedFiles = await removeOrphans(fs, dir, names, manifest, walFiles);
      const liveWal = walFiles.filter((f) => !removedFiles.includes(f.name));

      const leafManifest = manifest.leaves[0];
      if (manifest.leaves.length !== 1 || leafManifest === undefined || leafManifest.segments.length > 1) {
        throw new CorruptionError(MANIFEST_FILE, 0, "this version reads one leaf with at most one segment");
      }
      const segName = leafManifest.segments[0];
      const segment = segName
        ? await SegmentReader.open(fs, dir, segName, options.cacheBlocksMax)
        : undefined;
      const leaf = new Leaf("", segment);

      const recovered = await recoverWal(fs, dir, liveWal, manifest.checkpointLsn, (record, file) => {
        let effects: Effect[];
        try {
          effects = decodeBatch(record.payload, record.lsn);
        } catch (err) {
          throw new CorruptionError(file, record.offset, `bad batch payload: ${(err as Error).message}`);
        }
        for (const { key, entry } of effects) leaf.active.set(key, entry);
      });
      if (recovered.lastLsn < manifest.checkpointLsn) {
        throw new CorruptionError(
          liveWal[liveWal.length - 1]?.name ?? MANIFEST_FILE,
          recovered.lastFileBytes,
          `WAL ends at LSN ${recovered.lastLsn}, before checkpoint ${manifest.checkpointLsn}`,
        );
      }
      const nextLsn = recovered.lastLsn + 1;
      const creating = liveWal.length === 0;
      if (creating) liveWal.push({ name: walFileName(nextLsn), firstLsn: nextLsn });
      const last = liveWal[liveWal.length - 1] as WalFileInfo;
      const walFile = await fs.open(joinPath(dir, last.name), { create: creating });
      if (creating) await fs.syncDir(dir);
      const wal = new WalWriter(fs, dir, walFile, recovered.lastFileBytes, liveWal, nextLsn, {
        fileBytesMax: options.walFileBytesMax,
        groupBytesMax: options.groupCommitBytesMax,
      });
      const recovery: RecoveryInfo = {
        checkpointLsn: manifest.checkpointLsn,
        replayedRecords: recovered.replayed,
        lastLsn: recovered.lastLsn,
        tornTail: recovered.tornTail,
        removedFiles,
        durationMs: clock.now() - started,
      };
      return new FuseDB(fs, dir, options, lock, manifest, leaf, wal, recovery);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /**
   * The document stored under `key` and its version, or undefined if the key is missing or deleted.
   * Sees exactly the mutations that are durable.
   * @throws InvalidArgumentError for a bad key; ClosedError; CorruptionError if the data read is damaged.
   */
  async get(key: KeyInput): Promise<Versioned | undefined> {
    const k = this.key(key);
    this.assertOpen();
    const entry = await this.leaf.get(k);
    if (entry === undefined || entry.value === undefined) return undefined;
    return { value: entry.value, version: entry.version };
  }

  /**
   * The key's current version, counting deletes: 0 if it never existed, the tombstone's version if it was
   * deleted. Sees exactly the durable mutations. Useful for optimistic concurrency and for checkers.
   */
  async versionOf(key: KeyInput): Promise<number> {
    const k = this.key(key);
    this.assertOpen();
    return (await this.leaf.get(k))?.version ?? 0;
  }

  /**
   * Up to `limit` live documents with keys inside the bounds, in bytewise key order (or reverse). Sees
   * exactly the durable mutations, like `get`.
   * @throws InvalidArgumentError for bad bounds or limit; ClosedError; CorruptionError on damaged data.
   */
  async scan(options: ScanOptions = {}): Promise<ScanEntry[]> {
    const limit = options.limit ?? 1000;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > SCAN_LIMIT_MAX) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `scan limit must be 1..${SCAN_LIMIT_MAX}`);
    }
    if (
      (options.gt !== undefined && options.gte !== undefined) ||
      (options.lt !== undefined && options.lte !== undefined)
    ) {
      throw new InvalidArgumentError(
        "FUSEDB_INVALID_ARGUMENT",
        "scan takes at most one lower and one upper bound",
      );
    }
    const range: KeyRange = {};
    if (options.gt !== undefined) range.gt = this.key(options.gt);
    if (options.gte !== undefined) range.gte = this.key(options.gte);
    if (options.lt !== undefined) range.lt = this.key(options.lt);
    if (options.lte !== undefined) range.lte = this.key(options.lte);
    this.assertOpen();
    const found = await this.leaf.scan(range, limit, options.reverse === true);
    return found.map(([k, entry]) => {
      const bytes = keyBytes(k);
      return {
        key: bytes.toString("utf8"),
        keyBytes: bytes,
        value: entry.value as Json,
        version: entry.version,
      };
    });
  }

  /**
   * Stores `value` under `key`. Resolves once durable.
   * @throws InvalidArgumentError (FUSEDB_INVALID_JSON, FUSEDB_KEY_TOO_LARGE, FUSEDB_VALUE_TOO_LARGE, ...);
   *   PoisonedError; ClosedError.
   */
  async set(key: KeyInput, value: Json): Promise<WriteResult> {
    const r = await this.commit([{ op: "set", key, value }]);
    return { version: (r.results[0] as BatchResult["results"][number]).version, lsn: r.lsn };
  }

  /** Deletes `key` by writing a versioned tombstone (its version grows by one). Resolves once durable. */
  async delete(key: KeyInput): Promise<WriteResult> {
    const r = await this.commit([{ op: "delete", key }]);
    return { version: (r.results[0] as BatchResult["results"][number]).version, lsn: r.lsn };
  }

  /**
   * Applies an RFC 7396 JSON Merge Patch to the document under `key` (a missing key patches `{}` when the
   * patch is an object). Resolves with the new document once durable.
   */
  async patch(key: KeyInput, patch: Json): Promise<ValueWriteResult> {
    return single(await this.commit([{ op: "patch", key, patch }]));
  }

  /**
   * Adds the integer `delta` (default 1) to the number under `key` (a missing key counts as 0).
   * @throws InvalidArgumentError FUSEDB_TYPE_MISMATCH if the value is not an integer, FUSEDB_OUT_OF_RANGE if
   *   the result leaves the safe-integer range, FUSEDB_INVALID_ARGUMENT if `delta` is not a safe integer.
   */
  async incr(key: KeyInput, delta = 1): Promise<ValueWriteResult> {
    return single(await this.commit([{ op: "incr", key, delta }]));
  }

  /**
   * Applies `mutations` atomically: one WAL record, all or nothing, even across a crash. Mutations of the
   * same key compose in order, each with its own version. If any mutation is invalid, none is applied.
   */
  async batch(mutations: readonly Mutation[]): Promise<BatchResult> {
    if (!Array.isArray(mutations) || mutations.length === 0) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "batch needs a non-empty array of mutations");
    }
    return this.commit(mutations);
  }

  /**
   * Writes the buffer into a new segment (temp file, fdatasync, rename, syncDir), records the checkpoint
   * LSN in the manifest the same way, then deletes the WAL files that lie wholly below it.
   * Writes go on while it runs. Resolves with the checkpoint LSN.
   */
  checkpoint(): Promise<{ lsn: number }> {
    const run = this.checkpointTail.then(() => this.checkpointNow());
    this.checkpointTail = run.catch(() => undefined);
    return run;
  }

  /** Counters: WAL activity, LSNs, buffer and file sizes. */
  stats(): FuseDBStats {
    return {
      wal: { ...this.wal.stats },
      durableLsn: this.wal.durableLsn,
      checkpointLsn: this.manifest.checkpointLsn,
      bufferedEntries: this.leaf.active.size + (this.leaf.frozen?.size ?? 0),
      bufferedBytes: this.leaf.active.sizeBytes + (this.leaf.frozen?.sizeBytes ?? 0),
      segmentBytes: this.leaf.segment?.sizeBytes ?? 0,
      walFiles: this.wal.liveFiles().length,
    };
  }

  /** Stops accepting work, settles every pending operation, and releases the directory lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.prepTail;
    await this.checkpointTail;
    await this.wal.close();
    await this.leaf.segment?.release();
    await this.lock.release();
  }

  // ---- the one write path ----

  private async commit(mutations: readonly Mutation[]): Promise<BatchResult> {
    const keys = mutations.map((m) => {
      if (typeof m !== "object" || m === null) {
        throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", "a mutation must be an object");
      }
      validateMutation(m);
      return this.key(m.key);
    });
    this.assertWritable();
    let prepared: Prepared<BatchResult>;
    if (this.prepQueued === 0 && keys.every((k) => this.lookupPendingMemory(k) !== NOT_IN_MEMORY)) {
      // Fast path: nothing queued ahead and memory knows every key.
      prepared = this.prepare(mutations, keys, new Map());
    } else {
      prepared = await this.enqueuePrepare(mutations, keys);
    }
    await prepared.durable;
    return prepared.value;
  }

  private enqueuePrepare(mutations: readonly Mutation[], keys: KeyString[]): Promise<Prepared<BatchResult>> {
    this.prepQueued++;
    const run = this.prepTail.then(async () => {
      try {
        const bases = new Map<KeyString, Entry | undefined>();
        // Re-check after every read: a flush that finished meanwhile may have moved a key from the frozen
        // buffer into the segment. Bounded: each pass reads at least one new key, or ends.
        for (;;) {
          const missing = keys.filter((k) => !bases.has(k) && this.lookupPendingMemory(k) === NOT_IN_MEMORY);
          if (missing.length === 0) break;
          for (const k of missing) bases.set(k, await this.leaf.get(k));
        }
        this.assertWritable();
        return this.prepare(mutations, keys, bases);
      } finally {
        this.prepQueued--;
      }
    });
    this.prepTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Synchronous: resolves every mutation, appends the record, updates the overlay. Throws → no change. */
  private prepare(
    mutations: readonly Mutation[],
    keys: KeyString[],
    bases: Map<KeyString, Entry | undefined>,
  ): Prepared<BatchResult> {
    const lsn = this.wal.nextLsnPreview;
    const latest = new Map<KeyString, Entry | undefined>();
    const effects: Effect[] = [];
    const results: BatchResult["results"] = [];
    for (let i = 0; i < mutations.length; i++) {
      const k = keys[i] as KeyString;
      const current = latest.has(k) ? latest.get(k) : this.baseFor(k, bases);
      const next = resolveMutation(current, mutations[i] as Mutation, lsn, this.options);
      latest.set(k, next);
      results.push({ version: next.version, value: next.value });
    }
    // One effect per key: the last state wins; versions already count every step.
    for (const [key, entry] of latest) effects.push({ key, entry: entry as Entry });
    const payload = encodeBatch(effects);
    if (payload.length > RECORD_PAYLOAD_BYTES_MAX) {
      throw new InvalidArgumentError(
        "FUSEDB_VALUE_TOO_LARGE",
        `batch of ${payload.length} bytes is too large`,
      );
    }
    const appended = this.wal.append(RecordType.Batch, payload, () =>
      this.applyDurable(appended.lsn, effects),
    );
    assert(appended.lsn === lsn, "LSN preview matches the appended record");
    for (const { key, entry } of effects) this.overlay.set(key, entry);
    return { durable: appended.durable, value: { lsn, results } };
  }

  private applyDurable(lsn: number, effects: Effect[]): void {
    assert(lsn === this.appliedLsn + 1, "records become visible in LSN order");
    for (const { key, entry } of effects) {
      this.leaf.active.set(key, entry);
      if (this.overlay.get(key)?.lsn === lsn) this.overlay.delete(key);
    }
    this.appliedLsn = lsn;
  }

  private lookupPendingMemory(k: KeyString): Entry | undefined | typeof NOT_IN_MEMORY {
    const pending = this.overlay.get(k);
    if (pending) return pending;
    return this.leaf.lookupMemory(k);
  }

  private baseFor(k: KeyString, bases: Map<KeyString, Entry | undefined>): Entry | undefined {
    const mem = this.lookupPendingMemory(k);
    if (mem !== NOT_IN_MEMORY) return mem;
    assert(bases.has(k), "a key memory cannot answer was read before prepare");
    return bases.get(k);
  }

  // ---- checkpoint ----

  private async checkpointNow(): Promise<{ lsn: number }> {
    this.assertWritable();
    await this.wal.rotate();
    const lsn = this.appliedLsn;
    if (lsn === this.manifest.checkpointLsn) {
      await this.removeObsoleteWal(lsn);
      return { lsn };
    }
    this.leaf.freeze();
    const name = segmentFileName(this.manifest.nextFileNumber);
    try {
      const merged = await this.leaf.mergedForFlush();
      await writeSegment(this.fs, this.dir, name, merged);
    } catch (err) {
      this.leaf.thaw();
      throw err;
    }
    const oldSegment = this.leaf.segment;
    const next: Manifest = {
      formatVersion: 1,
      checkpointLsn: lsn,
      nextFileNumber: this.manifest.nextFileNumber + 1,
      leaves: [{ low: "", segments: [name] }],
    };
    let reader: SegmentReader;
    try {
      await writeManifest(this.fs, this.dir, next);
      reader = await SegmentReader.open(this.fs, this.dir, name, this.options.cacheBlocksMax);
    } catch (err) {
      // The manifest on disk is now uncertain: stop writing; reopening recovers from whichever is durable.
      this.leaf.thaw();
      this.poisonError = this.wal.poisoned ?? new PoisonedError(err);
      throw this.poisonError;
    }
    this.manifest = next;
    this.leaf.segment = reader;
    this.leaf.frozen = undefined;
    if (oldSegment) {
      await oldSegment.release();
      await this.fs.remove(joinPath(this.dir, oldSegment.name));
    }
    await this.removeObsoleteWal(lsn);
    return { lsn };
  }

  private async removeObsoleteWal(lsn: number): Promise<void> {
    const obsolete = this.wal.takeFilesBelow(lsn);
    for (const name of obsolete) await this.fs.remove(joinPath(this.dir, name));
    await this.fs.syncDir(this.dir);
  }

  // ---- guards ----

  private key(key: unknown): KeyString {
    return toKeyString(key, this.options.keyBytesMax);
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError();
  }

  private assertWritable(): void {
    this.assertOpen();
    const poisoned = this.poisonError ?? this.wal.poisoned;
    if (poisoned) throw poisoned;
  }
}

function single(r: BatchResult): ValueWriteResult {
  const first = r.results[0];
  assert(first !== undefined && first.value !== undefined, "a patch or incr result holds a value");
  return { value: first.value, version: first.version, lsn: r.lsn };
}

function resolveOptions(o: FuseDBOptions): Required<FuseDBOptions> {
  const out = { ...DEFAULTS };
  for (const name of Object.keys(DEFAULTS) as (keyof FuseDBOptions)[]) {
    const v = o[name];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `option ${name} must be a positive integer`);
    }
    out[name] = v;
  }
  if (out.keyBytesMax > KEY_BYTES_LIMIT) {
    throw new InvalidArgumentError(
      "FUSEDB_INVALID_ARGUMENT",
      `option keyBytesMax must be <= ${KEY_BYTES_LIMIT}`,
    );
  }
  return out;
}

/** Removes temp files, unreferenced segments and WAL files wholly below the checkpoint. Deterministic. */
async function removeOrphans(
  fs: FileSystem,
  dir: string,
  names: string[],
  manifest: Manifest,
  walFiles: WalFileInfo[],
): Promise<string[]> {
  const live = new Set(manifest.leaves.flatMap((l) => l.segments));
  const removed: string[] = [];
  for (const name of names) {
    const orphanSegment = parseSegmentFileName(name) !== undefined && !live.has(name);
    // LOCK* files belong to the file system's lock protocol, not to the engine.
    if ((name.endsWith(".tmp") && !name.startsWith("LOCK")) || orphanSegment) removed.push(name);
  }
  for (let i = 0; i + 1 < walFiles.length; i++) {
    if ((walFiles[i + 1] as WalFileInfo).firstLsn <= manifest.checkpointLsn + 1) {
      removed.push((walFiles[i] as WalFileInfo).name);
    }
  }
  for (const name of removed) await fs.remove(joinPath(dir, name));
  if (removed.length > 0) await fs.syncDir(dir);
  return removed;
}
