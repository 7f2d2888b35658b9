/**
 * The disk's limit: what any log-based durable engine pays at least. A Map holds the data in memory; every
 * write appends a record of the same size as fusedb's (its WAL header plus a one-effect batch payload:
 * HEADER_BYTES + 4 + 1 + 2 + key + 8 + 4 + value) with the same group-commit policy as fusedb's WAL writer:
 * one write plus one fdatasync in flight, the next group accumulating meanwhile, groups capped at 4 MiB,
 * no timer. No index, no checkpoint, no recovery: nothing but the append and the sync. Files rotate at
 * 64 MiB (the old one is deleted) so long runs do not fill the disk.
 */
import { Buffer } from "node:buffer";
import { type FileHandle, open, unlink } from "node:fs/promises";
import type { Json } from "../../src/index.js";
import { encodeRecord, RecordType } from "../../src/wal/format.js";
import type { Engine } from "./engine.js";
import { counterValue, withField } from "./engine.js";

/** Same cap as fusedb's default groupCommitBytesMax. */
const GROUP_BYTES_MAX = 4 * 2 ** 20;
/** Same bound as fusedb's default walFileBytesMax. */
const FILE_BYTES_MAX = 64 * 2 ** 20;
/** Batch payload bytes around key and value: count u32, kind u8, keyLength u16, version u64, valueLength u32. */
const PAYLOAD_OVERHEAD_BYTES = 4 + 1 + 2 + 8 + 4;

interface Pending {
  bytes: Buffer;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export async function openDiskLimit(dir: string): Promise<Engine> {
  const engine = new DiskLimitEngine(dir);
  await engine.rotate();
  return engine;
}

class DiskLimitEngine implements Engine {
  readonly name = "disk-limit" as const;
  readonly settings =
    "bare loop: in-memory Map + append of fusedb-sized WAL records with fusedb's group commit (one write + one fdatasync in flight, groups <= 4 MiB, no timer); no index, no checkpoint";
  readonly rmw = "in-memory read, then one appended record (single-threaded, so atomic)";
  private readonly map = new Map<string, Json>();
  private readonly queue: Pending[] = [];
  private file: FileHandle | undefined;
  private fileNumber = 0;
  private offset = 0;
  private running = false;
  private lsn = 0;
  private readonly stats = { groups: 0, records: 0, bytesWritten: 0, syncs: 0 };

  constructor(private readonly dir: string) {}

  private path(n: number): string {
    return `${this.dir}/limit-${n}.log`;
  }

  async rotate(): Promise<void> {
    const old = this.file;
    this.fileNumber++;
    this.file = await open(this.path(this.fileNumber), "w");
    this.offset = 0;
    if (old) {
      await old.close();
      await unlink(this.path(this.fileNumber - 1));
    }
  }

  private append(key: string, value: Json): Promise<void> {
    this.map.set(key, value);
    const keyBytes = Buffer.byteLength(key);
    const valueBytes = Buffer.byteLength(JSON.stringify(value));
    const payload = Buffer.alloc(PAYLOAD_OVERHEAD_BYTES + keyBytes + valueBytes, 0x61);
    const bytes = encodeRecord(RecordType.Batch, ++this.lsn, this.lsn, payload);
    const done = new Promise<void>((resolve, reject) => this.queue.push({ bytes, resolve, reject }));
    if (!this.running) {
      this.running = true;
      void this.run();
    }
    return done;
  }

  private async run(): Promise<void> {
    // Bounded: each pass takes at least one queued record.
    while (this.queue.length > 0) {
      const group: Pending[] = [];
      let size = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0] as Pending;
        if (group.length > 0 && size + next.bytes.length > GROUP_BYTES_MAX) break;
        group.push(next);
        size += next.bytes.length;
        this.queue.shift();
      }
      try {
        if (this.offset >= FILE_BYTES_MAX) await this.rotate();
        const data =
          group.length === 1 ? (group[0] as Pending).bytes : Buffer.concat(group.map((p) => p.bytes));
        const file = this.file as FileHandle;
        await file.write(data, 0, data.length, this.offset);
        this.offset += data.length;
        await file.datasync();
        this.stats.groups++;
        this.stats.syncs++;
        this.stats.records += group.length;
        this.stats.bytesWritten += data.length;
        for (const p of group) p.resolve();
      } catch (err) {
        for (const p of group) p.reject(err);
      }
    }
    this.running = false;
  }

  async get(key: string): Promise<Json | undefined> {
    return this.map.get(key);
  }

  set(key: string, value: Json): Promise<void> {
    return this.append(key, value);
  }

  async incr(key: string, delta: number): Promise<number> {
    const next = counterValue(this.map.get(key)) + delta;
    await this.append(key, next);
    return next;
  }

  readModifyWrite(key: string, field: string, fieldValue: string): Promise<void> {
    return this.append(key, withField(this.map.get(key), field, fieldValue));
  }

  async load(entries: readonly [string, Json][]): Promise<void> {
    await Promise.all(entries.map(([key, value]) => this.append(key, value)));
  }

  backgroundIdle(): boolean {
    return true;
  }

  recovery(): undefined {
    return undefined;
  }

  counters(): Record<string, number> {
    return {
      walGroups: this.stats.groups,
      walRecords: this.stats.records,
      walBytesWritten: this.stats.bytesWritten,
      walSyncs: this.stats.syncs,
    };
  }

  async close(): Promise<void> {
    await this.file?.close();
  }
}
