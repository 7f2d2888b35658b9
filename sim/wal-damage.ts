/**
 * Where injected damage lies relative to the WAL's final group-commit write: the one place where damage may
 * cost acknowledged writes (docs/fault-model.md, "Known limit"; docs/wal-format.md). A flipped bit, or a
 * misdirected write, inside the final group-commit write of the last WAL file reads exactly like a torn
 * write of that group, so recovery cuts it. Anywhere else, damage must end in a typed halt.
 *
 * - {@link WalDamageLedger} classifies each injected damage at injection time (before the bytes change), by
 *   wrapping the disk's {@link IoFaultPlanner} ({@link WalDamageLedger.plannerFor}) or by being told of a
 *   latent error ({@link WalDamageLedger.flipped}), and later says whether a recovery's cut is excused.
 * - {@link pickDamageBelowTail} draws a durable byte of a WAL or segment file (or WALHEAD) outside that final
 *   group: damage there must never cost an acknowledged write (rot checks, campaign rot probes).
 * - {@link pickProbeDamage} draws what a campaign's rot probe does: mostly such a bit flip, sometimes a loss
 *   wider than a bit (faults/file-loss.ts): the newest WAL file deleted, or all of them (issue 12 item 4), or
 *   the last WAL file cut or zeroed from inside a group at least two before its last one (item 6; the
 *   slot written with each group claims the one before it durable, docs/wal-format.md). The engine must
 *   halt naming the file, or answer exactly as before.
 *
 * Invariant: the group of a record is the run of records sharing its `groupLsn` (`lsn - groupDelta`); a
 * group never spans two files. Records start after the file header.
 */
import { describeFileLoss, type FileLoss } from "../faults/file-loss.js";
import { joinPath } from "../src/io/file-system.js";
import { parseSegmentFileName } from "../src/tree/segment-format.js";
import {
  decodeRecord,
  decodeWalHead,
  FILE_HEADER_BYTES,
  parseWalFileName,
  SLOT_BYTES,
  slotOffset,
  WAL_HEAD_FILE,
  walFileName,
} from "../src/wal/format.js";
import type { IoCallInfo, IoFaultPlanner, ReadFault, WriteFault } from "./disk/io-fault-planner.js";
import type { Prng } from "./disk/prng.js";
import type { SimFileSystem } from "./disk/sim-file-system.js";

/** The group-commit writes of a WAL file: byte ranges of the runs of valid records sharing a groupLsn. */
export function walGroups(data: Uint8Array): { fromByte: number; toByte: number }[] {
  const groups: { fromByte: number; toByte: number; groupLsn: number }[] = [];
  let offset = FILE_HEADER_BYTES;
  // Bounded: each record advances the offset by at least its header.
  for (;;) {
    const got = decodeRecord(data, offset);
    if (got.kind !== "record") break;
    const last = groups[groups.length - 1];
    if (last?.groupLsn === got.record.groupLsn) last.toByte = offset + got.record.bytes;
    else groups.push({ fromByte: offset, toByte: offset + got.record.bytes, groupLsn: got.record.groupLsn });
    offset += got.record.bytes;
  }
  return groups.map(({ fromByte, toByte }) => ({ fromByte, toByte }));
}

/** Byte offset where the final group-commit write of a WAL file starts (its length if it has no records). */
export function finalGroupOffset(data: Uint8Array): number {
  return walGroups(data).pop()?.fromByte ?? data.length;
}

/**
 * The last WAL file in `dir` holding records: a file created by rotation holds only its header until WALHEAD
 * names it (src/wal/wal-head.ts), and a crash may leave it behind, unused, or lose it; the file before it is
 * then the one recovery ends in.
 */
function lastWalHoldingRecords(disk: SimFileSystem, dir: string): string | undefined {
  return disk
    .listLive(dir)
    .filter((n) => {
      const bytes = disk.readLive(joinPath(dir, n))?.length ?? 0;
      return parseWalFileName(n) !== undefined && bytes > FILE_HEADER_BYTES;
    })
    .pop();
}

/** Whether a write to a WAL file at `offset` of `length` bytes rewrites a durable-LSN slot. */
function isSlotWrite(offset: number, length: number): boolean {
  return length === SLOT_BYTES && (offset === slotOffset(0) || offset === slotOffset(1));
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
        if (fault.kind === "misdirect" && isSlotWrite(call.offset, call.length)) {
          // A slot left unwritten is a torn slot rewrite (the other slot keeps an older claim): harmless by
          // design. Only where the bytes landed is damaged.
          this.record(disk, call.path, fault.offset, fault.offset + call.length);
        } else if (fault.kind === "misdirect") {
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
    const last = lastWalHoldingRecords(disk, this.dir);
    let inFinalGroup = false;
    if (last === name) {
      const data = disk.readLive(path) ?? new Uint8Array(0);
      inFinalGroup = fromByte >= finalGroupOffset(data);
    } else if ((parseWalFileName(name) ?? 0) > (last === undefined ? -1 : (parseWalFileName(last) ?? 0))) {
      // An append to the newest file, before it holds any record: its first group is its final one.
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
 * A byte of a WAL or segment file, or of WALHEAD, in `dir` of `disk`, drawn uniformly over the candidate
 * bytes of every such file (the last WAL file's final group-commit write excluded: damage there is the known
 * limit), or undefined if there are none.
 */
export function pickDamageBelowTail(disk: SimFileSystem, dir: string, prng: Prng): DamageSite | undefined {
  const names = disk.listLive(dir);
  const lastWal = lastWalHoldingRecords(disk, dir);
  const candidates: { file: string; bytes: number; ofBytes: number }[] = [];
  for (const name of names) {
    const isWal = parseWalFileName(name) !== undefined;
    const engineFile = isWal || name === WAL_HEAD_FILE || parseSegmentFileName(name) !== undefined;
    if (!engineFile) continue;
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

/** What a rot probe does to a disk: a flipped bit, or a wider loss; `file` is what the engine must name. */
export type ProbeDamage =
  | { kind: "flip"; file: string; site: DamageSite }
  | { kind: "loss"; file: string; loss: FileLoss };

/** Chances, in twentieths, of a loss wider than a bit in a rot probe: deleting WAL files, cutting a tail. */
const PROBE_DELETE_TWENTIETHS = 2;
const PROBE_TAIL_TWENTIETHS = 2;

/**
 * The damage of one rot probe on `disk` (see the module comment), or undefined if there is nothing to
 * damage. A loss that finds no candidate falls back to a bit flip.
 */
export function pickProbeDamage(disk: SimFileSystem, dir: string, prng: Prng): ProbeDamage | undefined {
  const draw = prng.int(20);
  let loss: ProbeDamage | undefined;
  if (draw < PROBE_DELETE_TWENTIETHS) loss = pickWalDeletion(disk, dir, draw === 0);
  else if (draw < PROBE_DELETE_TWENTIETHS + PROBE_TAIL_TWENTIETHS) loss = pickWideTailLoss(disk, dir, prng);
  if (loss !== undefined) return loss;
  const site = pickDamageBelowTail(disk, dir, prng);
  return site === undefined ? undefined : { kind: "flip", file: site.file, site };
}

/** A line for traces and reports. */
export function describeProbeDamage(d: ProbeDamage): string {
  if (d.kind === "loss") return describeFileLoss(d.loss);
  return `bit flipped in ${d.site.file}@${d.site.offset} of ${d.site.ofBytes} bytes`;
}

/**
 * Deleting the newest WAL file (the one WALHEAD names), or every WAL file: the engine must name the newest.
 * Undefined without a readable WALHEAD.
 */
function pickWalDeletion(disk: SimFileSystem, dir: string, all: boolean): ProbeDamage | undefined {
  const headBytes = disk.readLive(joinPath(dir, WAL_HEAD_FILE));
  if (headBytes === undefined) return undefined;
  const head = decodeWalHead(headBytes);
  if (head.kind !== "head") return undefined;
  const newest = walFileName(head.newestFirstLsn);
  const wal = disk.listLive(dir).filter((n) => parseWalFileName(n) !== undefined);
  if (!wal.includes(newest)) return undefined;
  return { kind: "loss", file: newest, loss: { kind: "remove", names: all ? wal : [newest] } };
}

/**
 * The last WAL file holding records cut, or zeroed, from a byte inside one of its groups at least two before
 * its last valid group: the slots hold a durable claim past that byte, so the engine must notice. Undefined
 * if the file has fewer than three groups.
 */
function pickWideTailLoss(disk: SimFileSystem, dir: string, prng: Prng): ProbeDamage | undefined {
  const name = lastWalHoldingRecords(disk, dir);
  if (name === undefined) return undefined;
  // Runtime damage already in the file (a misdirected slot rewrite, a flipped slot bit) may have weakened
  // the slots' claim: the guarantee is for a file only crashes touched.
  if (disk.damagedFiles().has(joinPath(dir, name))) return undefined;
  const groups = walGroups(disk.readLive(joinPath(dir, name)) ?? new Uint8Array(0));
  if (groups.length < 3) return undefined;
  const victim = groups[prng.int(groups.length - 2)];
  if (victim === undefined) return undefined;
  const fromByte = victim.fromByte + prng.int(victim.toByte - victim.fromByte);
  const loss: FileLoss = prng.bool()
    ? { kind: "truncate", name, sizeBytes: fromByte }
    : { kind: "zero-tail", name, fromByte };
  return { kind: "loss", file: name, loss };
}
