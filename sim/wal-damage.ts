/**
 * Where injected damage lies relative to the WAL's final group-commit write: the one place where damage may
 * cost acknowledged writes (docs/fault-model.md, "Known limit"; docs/wal-format.md). A flipped bit, or a
 * misdirected write, inside the final group-commit write of the last WAL file reads exactly like a torn
 * write of that group, so recovery cuts it. Anywhere else, damage must end in a typed halt.
 *
 * - {@link WalDamageLedger} classifies each injected damage at injection time (before the bytes change), by
 *   wrapping the disk's {@link IoFaultPlanner} ({@link WalDamageLedger.plannerFor}) or by being told of a
 *   latent error ({@link WalDamageLedger.flipped}), and later says whether a recovery's cut is excused.
 * - {@link pickDamageBelowTail} draws a durable byte of a WAL or segment file outside that final group:
 *   damage there must never cost an acknowledged write (rot checks, campaign rot probes).
 *
 * Invariant: the group of a record is the run of records sharing its `groupLsn` (`lsn - groupDelta`); a
 * group never spans two files.
 */
import { joinPath } from "../src/io/file-system.js";
import { parseSegmentFileName } from "../src/tree/segment-format.js";
import { decodeRecord, parseWalFileName } from "../src/wal/format.js";
import type { IoCallInfo, IoFaultPlanner, ReadFault, WriteFault } from "./disk/io-fault-planner.js";
import type { Prng } from "./disk/prng.js";
import type { SimFileSystem } from "./disk/sim-file-system.js";

/** Byte offset where the final group-commit write of a WAL file starts (its length if it has no records). */
export function finalGroupOffset(data: Uint8Array): number {
  let offset = 0;
  let groupStart = data.length;
  let group = -1;
  // Bounded: each record advances the offset by at least its header.
  for (;;) {
    const got = decodeRecord(data, offset);
    if (got.kind !== "record") break;
    if (got.record.groupLsn !== group) {
      group = got.record.groupLsn;
      groupStart = offset;
    }
    offset += got.record.bytes;
  }
  return groupStart;
}

/** One injected damage to a WAL file: bytes [fromByte, toByte) of `path`, classified when injected. */
interface WalDamage {
  path: string;
  fromByte: number;
  toByte: number;
  /** The damage lay inside the final group-commit write of the last non-empty WAL file (the known limit). */
  inFinalGroup: boolean;
}

/** Bound on damage entries kept per campaign (each seed injects a handful; the bound only guards memory). */
const WAL_DAMAGES_MAX = 10_000;

/** Classifies injected WAL damage at injection time; see the module comment. */
export class WalDamageLedger {
  private readonly damages: WalDamage[] = [];

  constructor(private readonly dir: string) {}

  /** Wraps `inner`, the runtime faults of `disk`, so that every bit flip and misdirected write is recorded. */
  plannerFor(inner: IoFaultPlanner, disk: SimFileSystem): IoFaultPlanner {
    return {
      planRead: (call: IoCallInfo, durable: boolean): ReadFault => {
        const fault = inner.planRead(call, durable);
        if (fault.kind === "flip") this.record(disk, call.path, fault.offset, fault.offset + 1);
        return fault;
      },
      planWrite: (call: IoCallInfo): WriteFault => {
        const fault = inner.planWrite(call);
        if (fault.kind === "misdirect") {
          // Damaged: where the bytes should have gone (a hole) and where they landed.
          const fromByte = Math.min(call.offset, fault.offset);
          this.record(disk, call.path, fromByte, Math.max(call.offset, fault.offset) + call.length);
        }
        return fault;
      },
      planSync: (call: IoCallInfo): boolean => inner.planSync(call),
      planSyncDir: (path: string): boolean => inner.planSyncDir(path),
    };
  }

  /** A latent error about to flip byte `offset` of `path` on `disk` (call before the bytes change). */
  flipped(disk: SimFileSystem, path: string, offset: number): void {
    this.record(disk, path, offset, offset + 1);
  }

  /**
   * The known limit, checked after a recovery lost acknowledged writes: "file@offset" of damage inside the
   * final group-commit write of the last WAL file (when it was injected) that now lies at or past that
   * file's end (this recovery, or an interrupted one, cut it), in a file the disk still lists as damaged;
   * else undefined, and the loss is a failure.
   */
  excusedCut(disk: SimFileSystem): string | undefined {
    const damaged = disk.damagedFiles();
    for (const d of this.damages) {
      if (!d.inFinalGroup || !damaged.has(d.path)) continue;
      const sizeBytes = disk.readLive(d.path)?.length ?? 0;
      if (d.fromByte >= sizeBytes) return `${d.path.slice(d.path.lastIndexOf("/") + 1)}@${d.fromByte}`;
    }
    return undefined;
  }

  /** Injected damages to WAL files so far, and how many lay inside a final group-commit write. */
  counts(): { wal: number; inFinalGroup: number } {
    return { wal: this.damages.length, inFinalGroup: this.damages.filter((d) => d.inFinalGroup).length };
  }

  private record(disk: SimFileSystem, path: string, fromByte: number, toByte: number): void {
    const name = path.slice(path.lastIndexOf("/") + 1);
    if (parseWalFileName(name) === undefined || this.damages.length >= WAL_DAMAGES_MAX) return;
    // The last WAL file holding bytes: a file created by rotation is empty until its name is durable
    // (src/wal/wal-writer.ts), and a crash may lose it, leaving the one before it last.
    const last = disk
      .listLive(this.dir)
      .filter(
        (n) => parseWalFileName(n) !== undefined && (disk.readLive(joinPath(this.dir, n))?.length ?? 0) > 0,
      )
      .pop();
    let inFinalGroup = false;
    if (last === name) {
      const data = disk.readLive(path) ?? new Uint8Array(0);
      inFinalGroup = fromByte >= finalGroupOffset(data);
    } else if ((parseWalFileName(name) ?? 0) > (last === undefined ? -1 : (parseWalFileName(last) ?? 0))) {
      // An append to the newest file, before it holds any byte: its first group is its final one.
      inFinalGroup = true;
    }
    this.damages.push({ path, fromByte, toByte, inFinalGroup });
  }
}

/** A durable byte to damage: `file` in the directory, `offset` in it, the file's size `ofBytes`. */
export interface DamageSite {
  file: string;
  offset: number;
  ofBytes: number;
}

/**
 * A byte of a WAL or segment file in `dir` of `disk`, drawn uniformly over the candidate bytes of every such
 * file (the last WAL file's final group-commit write excluded: damage there is the known limit), or
 * undefined if there are none.
 */
export function pickDamageBelowTail(disk: SimFileSystem, dir: string, prng: Prng): DamageSite | undefined {
  const names = disk.listLive(dir);
  const lastWal = names.filter((n) => parseWalFileName(n) !== undefined).pop();
  const candidates: { file: string; bytes: number; ofBytes: number }[] = [];
  for (const name of names) {
    const isWal = parseWalFileName(name) !== undefined;
    if (!isWal && parseSegmentFileName(name) === undefined) continue;
    const data = disk.readLive(joinPath(dir, name));
    if (data === undefined || data.length === 0) continue;
    const bytes = name === lastWal ? finalGroupOffset(data) : data.length;
    if (bytes > 0) candidates.push({ file: name, bytes, ofBytes: data.length });
  }
  const total = candidates.reduce((a, c) => a + c.bytes, 0);
  if (total === 0) return undefined;
  let at = prng.int(total);
  for (const c of candidates) {
    if (at < c.bytes) return { file: c.file, offset: at, ofBytes: c.ofBytes };
    at -= c.bytes;
  }
  return undefined;
}
