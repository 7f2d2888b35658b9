/**
 * `fusedb inspect` and `fusedb check` (src/tools/). Invariants checked:
 * - inspect shows every leaf (fence keys readable, flushed LSN), every segment the manifest names (size,
 *   entries, tombstones, max LSN, blocks, as the file's footer says), the WAL files and the manifest log.
 * - check passes a healthy database (closed, or open in this process without its lock) and fails naming the
 *   right file and offset after each damage: a data block byte, a bloom block byte, a middle manifest edit,
 *   a WAL record below the tail, a segment named by the manifest deleted, a torn final manifest edit with a
 *   file it needed gone. A torn WAL tail, a torn final manifest edit alone, temp files and orphan segments
 *   are warnings only.
 * - Neither tool changes a byte on disk or takes the lock (every write-kind operation is rejected: EROFS),
 *   and a torn WAL tail is reported, not cut.
 * - The real CLI (`fusedb check` on node:fs, run from the sources) exits 0 on a database made by `open()`,
 *   and 1 after a segment byte is flipped.
 */
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { NodeFileSystem, open } from "../src/index.js";
import { ioErrorCode } from "../src/io/file-system.js";
import { IO_OP_KINDS, type IoOp } from "../src/io/forwarding-file-system.js";
import { type CheckReport, checkDatabase, formatCheckReport } from "../src/tools/check.js";
import { displayKey } from "../src/tools/db-files.js";
import {
  formatInspection,
  type Inspection,
  inspectDatabase,
  type SegmentSummary,
} from "../src/tools/inspect.js";
import { readOnlyFileSystem } from "../src/tools/read-only-file-system.js";
import { BLOCK_HEADER_BYTES, FOOTER_BYTES } from "../src/tree/segment-format.js";
import {
  decodeRecord,
  encodeFileHeader,
  encodeWalHead,
  FILE_HEADER_BYTES,
  WAL_HEAD_FILE,
  type WalRecord,
} from "../src/wal/format.js";
import { countFilesWhollyBelow } from "../src/wal/wal-writer.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

// WAL files of 8 KiB: a file rotates early once the WAL floor enters it and it holds an eighth of that
// (src/wal/wal-writer.ts takeFilesBelow); at 4 KiB the floor sat on a file's first record at close.
const KNOBS = { leafBufferBytes: 256, leafBytesMax: 2048, segmentsMax: 2, walFileBytesMax: 8192 };
// 440: the database closes with leaves of two segments, tombstones in some (flushed over older segments,
// not yet merged away) and a WAL floor inside its oldest live file (at 400 every leaf had just been merged).
const OPS = 440;
const KEYS = 150;

/** A deterministic workload: sets (values of varied size) and every 11th call a delete. */
async function writeWorkload(db: Awaited<ReturnType<typeof openMem>>): Promise<void> {
  for (let i = 0; i < OPS; i++) {
    const key = `key:${String((i * 37) % KEYS).padStart(4, "0")}`;
    if (i % 11 === 10) await db.delete(key);
    else await db.set(key, { i, pad: "x".repeat(i % 20) });
  }
}

/** The pristine, closed database every damage test copies. */
let pristine: TestDisk;
let inspection: Inspection;

beforeAll(async () => {
  pristine = new TestDisk();
  const db = await openMem(pristine, KNOBS);
  await writeWorkload(db);
  await db.close();
  inspection = await inspectDatabase(pristine, DIR);
});

const path = (name: string): string => `${DIR}/${name}`;

function segments(i: Inspection): SegmentSummary[] {
  return i.leaves.flatMap((l) => l.segments).filter((s): s is SegmentSummary => !("error" in s));
}

async function flip(fs: TestDisk, name: string, offset: number): Promise<void> {
  const data = fs.bytes(path(name));
  expect(offset).toBeLessThan(data.length);
  data[offset] = (data[offset] as number) ^ 0x5a;
  await fs.setBytes(path(name), data);
}

function errorsOf(r: CheckReport): { file: string; offset: number | null; what: string }[] {
  return r.problems
    .filter((p) => p.severity === "error")
    .map(({ file, offset, what }) => ({ file, offset, what }));
}

/** Runs check on `fs` and asserts it changed nothing. */
async function checkUnchanged(fs: TestDisk): Promise<CheckReport> {
  const before = fs.snapshot();
  const writes = fs.writeCalls.length;
  const report = await checkDatabase(fs, DIR);
  expect(fs.snapshot()).toEqual(before);
  expect(fs.writeCalls.length).toBe(writes);
  return report;
}

/** Record offsets of a manifest: [snapshot, edit 1, edit 2, ...] (grammar in src/tree/manifest.ts). */
function manifestRecords(data: Buffer): number[] {
  const out: number[] = [];
  // Bounded: each record advances by its header and body.
  for (let at = 8; at < data.length; at += 8 + data.readUInt32LE(at)) out.push(at);
  return out;
}

/**
 * Appends the first bytes of an edit record that a crash tore: a header promising 100 bytes, then 10 of them.
 * Returns the offset where it starts.
 */
async function appendTornEdit(fs: TestDisk): Promise<number> {
  const data = fs.bytes(path("MANIFEST"));
  const header = Buffer.alloc(8);
  header.writeUInt32LE(100, 0);
  header.writeUInt32LE(0x1234abcd, 4);
  await fs.setBytes(path("MANIFEST"), Buffer.concat([data, header, Buffer.from('{"edit":{"')]));
  return data.length;
}

/** The valid records of WAL file `data`, after its header. */
function walRecords(data: Uint8Array): WalRecord[] {
  const out: WalRecord[] = [];
  // Bounded: each record advances by its size.
  for (let at = FILE_HEADER_BYTES; ; ) {
    const got = decodeRecord(data, at);
    if (got.kind !== "record") return out;
    out.push(got.record);
    at += got.record.bytes;
  }
}

describe("fusedb inspect", () => {
  it("shows the leaves, their segments, the WAL files and the manifest", async () => {
    const i = inspection;
    expect(i.manifest).not.toBeNull();
    const m = i.manifest as Exclude<Inspection["manifest"], null | { error: string }>;
    expect(m.edits).toBeGreaterThan(2);
    expect(m.bytes).toBe(pristine.bytes(path("MANIFEST")).length);
    expect(m.tornEditAt).toBeNull();
    expect(i.leaves.length).toBeGreaterThan(3);
    expect(i.leaves[0]?.low).toBe("");
    expect(i.leaves[0]?.lowDisplay).toBe('""');
    expect(i.leaves[i.leaves.length - 1]?.high).toBeNull();
    for (let n = 1; n < i.leaves.length; n++) {
      expect(i.leaves[n - 1]?.high).toBe(i.leaves[n]?.low);
      expect(i.leaves[n]?.lowDisplay).toMatch(/^"key:\d{4}"$/);
    }
    const segs = segments(i);
    expect(segs.length).toBe(i.leaves.reduce((n, l) => n + l.segments.length, 0));
    expect(segs.length).toBeGreaterThan(i.leaves.length);
    for (const s of segs) {
      expect(s.sizeBytes).toBe(pristine.bytes(path(s.name)).length);
      expect(s.entryCount).toBeGreaterThan(0);
      expect(s.blockCount).toBeGreaterThan(0);
      expect(s.maxLsn).toBeLessThanOrEqual(OPS);
    }
    expect(segs.some((s) => s.tombstoneCount > 0)).toBe(true);
    const walNames = pristine.paths().filter((p) => p.startsWith(`${DIR}/wal-`));
    expect(i.wal.map((w) => path(w.name))).toEqual(walNames);
    for (const w of i.wal) expect(w.sizeBytes).toBe(pristine.bytes(path(w.name)).length);
    expect(i.orphans).toEqual([]);

    const text = formatInspection(i);
    expect(text).toContain(`checkpoint LSN ${m.checkpointLsn}`);
    expect(text).toContain(`leaf 0  ["" .. ${i.leaves[1]?.lowDisplay})`);
    for (const s of segs) expect(text).toContain(`${s.name}  ${s.sizeBytes.toLocaleString("en-US")} bytes`);
    for (const w of i.wal) expect(text).toContain(`${w.name}  first LSN ${w.firstLsn}`);
    expect(JSON.parse(JSON.stringify(i))).toEqual(i);
  });

  it("changes nothing, and shows orphans, a torn final edit and an unreadable segment", async () => {
    const fs = pristine.copy();
    const last = await appendTornEdit(fs);
    await fs.setBytes(path("seg-00099999.sst"), Buffer.from("junk"));
    await fs.setBytes(path("MANIFEST.tmp"), Buffer.from("junk"));
    const victim = segments(inspection)[0] as SegmentSummary;
    await flip(fs, victim.name, victim.sizeBytes - 1); // the footer's crc
    const before = fs.snapshot();
    const i = await inspectDatabase(fs, DIR);
    expect(fs.snapshot()).toEqual(before);
    expect(i.manifest).toMatchObject({ tornEditAt: last });
    expect(i.orphans).toEqual(["MANIFEST.tmp", "seg-00099999.sst"]);
    expect(i.leaves.flatMap((l) => l.segments).find((s) => s.name === victim.name)).toEqual({
      name: victim.name,
      error: "footer checksum mismatch",
    });
    const text = formatInspection(i);
    expect(text).toContain(`torn final edit at offset ${last} (ignored)`);
    expect(text).toContain(`${victim.name}  UNREADABLE: footer checksum mismatch`);
  });

  it("shows fence keys as UTF-8 when printable, else hex", () => {
    expect(displayKey("")).toBe('""');
    expect(displayKey("user:42")).toBe('"user:42"');
    expect(displayKey(Buffer.from("clé", "utf8").toString("latin1"))).toBe('"clé"');
    expect(displayKey("\x00\xff")).toBe("0x00ff");
    expect(displayKey("a\nb")).toBe("0x610a62");
  });
});

describe("fusedb check", () => {
  it("passes a healthy database and changes nothing", async () => {
    const r = await checkUnchanged(pristine.copy());
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checked.leaves).toBe(inspection.leaves.length);
    expect(r.checked.segments).toBe(segments(inspection).length);
    expect(r.checked.entries).toBe(segments(inspection).reduce((n, s) => n + s.entryCount, 0));
    expect(r.checked.walLastLsn).toBe(OPS);
    expect(r.checked.walRecordsAboveCheckpoint).toBeGreaterThan(0);
    expect(formatCheckReport(r)).toMatch(
      new RegExp(
        `^ok: \\d+ leaves, \\d+ segments \\(\\d+ blocks, \\d+ entries\\), \\d+ WAL files? to LSN ${OPS}; 0 warnings\n$`,
      ),
    );
  });

  it("passes a database open in this process, without its lock", async () => {
    const fs = new TestDisk();
    const db = await openMem(fs, KNOBS);
    try {
      await writeWorkload(db);
      const r = await checkDatabase(fs, DIR);
      expect(errorsOf(r)).toEqual([]);
      await db.set("after-check", 1);
    } finally {
      await db.close();
    }
  });

  it("fails on a flipped byte in a segment's data block, naming file and block offset", async () => {
    const fs = pristine.copy();
    const seg = segments(inspection)[1] as SegmentSummary;
    await flip(fs, seg.name, BLOCK_HEADER_BYTES + 3);
    const r = await checkUnchanged(fs);
    expect(r.ok).toBe(false);
    expect(errorsOf(r)).toEqual([{ file: seg.name, offset: 0, what: "block checksum mismatch" }]);
    expect(formatCheckReport(r)).toContain(
      `error   ${seg.name} @0: block checksum mismatch\nFAILED: 1 error, 0 warnings`,
    );
  });

  it("fails on a flipped byte in a segment's bloom filter", async () => {
    const fs = pristine.copy();
    const seg = segments(inspection)[2] as SegmentSummary;
    const data = fs.bytes(path(seg.name));
    const bloomOffset = Number(data.readBigUInt64LE(data.length - FOOTER_BYTES + 8 + 8 + 4));
    await flip(fs, seg.name, bloomOffset + BLOCK_HEADER_BYTES + 2);
    const r = await checkUnchanged(fs);
    expect(errorsOf(r)).toEqual([{ file: seg.name, offset: bloomOffset, what: "block checksum mismatch" }]);
  });

  it("fails on a damaged middle manifest edit, and on a torn final edit whose files are gone", async () => {
    const fs = pristine.copy();
    const records = manifestRecords(fs.bytes(path("MANIFEST")));
    const middle = records[Math.floor(records.length / 2)] as number;
    expect(middle).toBeGreaterThan(records[1] as number);
    await flip(fs, "MANIFEST", middle + 8 + 4);
    const r = await checkUnchanged(fs);
    expect(errorsOf(r)).toEqual([
      { file: "MANIFEST", offset: middle, what: "damaged edit followed by a valid one" },
    ]);

    // A torn final edit alone is a warning; with a segment the manifest names gone, it is damage.
    const torn = pristine.copy();
    const last = await appendTornEdit(torn);
    const tornOnly = await checkUnchanged(torn);
    expect(tornOnly.ok).toBe(true);
    expect(tornOnly.problems).toMatchObject([{ severity: "warning", file: "MANIFEST", offset: last }]);
    const seg = segments(inspection)[0] as SegmentSummary;
    await torn.remove(path(seg.name));
    const gone = await checkUnchanged(torn);
    expect(errorsOf(gone)).toEqual([
      {
        file: "MANIFEST",
        offset: last,
        what: `final edit unreadable and segment ${seg.name} is missing: damage, not a torn append`,
      },
      {
        file: seg.name,
        offset: null,
        what: expect.stringMatching(/^named by the manifest \(leaf .*\) but missing$/),
      },
    ]);
  });

  it("fails on a damaged WAL record below the tail; a torn tail is only a warning and is not cut", async () => {
    const fs = pristine.copy();
    const wal = inspection.wal.at(-1)?.name as string;
    const records = walRecords(fs.bytes(path(wal)));
    const m = inspection.manifest as { checkpointLsn: number };
    const above = records.filter((rec) => rec.lsn > m.checkpointLsn);
    expect(above.length).toBeGreaterThan(3);
    const victim = above[1] as WalRecord;
    await flip(fs, wal, victim.offset + 21 + 2);
    const r = await checkUnchanged(fs);
    expect(errorsOf(r)).toEqual([
      {
        file: wal,
        offset: victim.offset,
        what: expect.stringMatching(/^checksum mismatch, followed by a valid record/),
      },
    ]);

    const torn = pristine.copy();
    const data = torn.bytes(path(wal));
    const lastRec = records.at(-1) as WalRecord;
    await torn.setBytes(path(wal), data.subarray(0, lastRec.offset + 10));
    const t = await checkUnchanged(torn);
    expect(t.ok).toBe(true);
    expect(t.problems).toMatchObject([{ severity: "warning", file: wal, offset: lastRec.offset }]);
    expect(t.checked.walLastLsn).toBe(OPS - 1);
  });

  it("fails when the WAL does not reach the checkpoint LSN", async () => {
    const fs = pristine.copy();
    const checkpointLsn = (inspection.manifest as { checkpointLsn: number }).checkpointLsn;
    // The oldest file recovery reads; the log is cut after its first record (below the checkpoint) and the
    // later files removed: no tear, but records the checkpoint needs are gone.
    const files = inspection.wal.slice(countFilesWhollyBelow(inspection.wal, checkpointLsn));
    const wal = files[0]?.name as string;
    for (const f of files.slice(1)) await fs.remove(path(f.name));
    const first = walRecords(fs.bytes(path(wal)))[0] as WalRecord;
    expect(first.lsn).toBeLessThan(checkpointLsn);
    // A fresh header (its slots claim nothing durable yet), so only the checkpoint shows what is missing.
    const cut = fs.bytes(path(wal)).subarray(first.offset, first.offset + first.bytes);
    await fs.setBytes(path(wal), Buffer.concat([encodeFileHeader(files[0]?.firstLsn as number), cut]));
    // WALHEAD named a file the test removed: it names this one now, as if no rotation had happened.
    await fs.setBytes(path(WAL_HEAD_FILE), encodeWalHead(files[0]?.firstLsn as number));
    const r = await checkUnchanged(fs);
    expect(errorsOf(r)).toEqual([
      {
        file: wal,
        offset: FILE_HEADER_BYTES + first.bytes,
        what: `WAL ends at LSN ${first.lsn}, before checkpoint ${checkpointLsn}`,
      },
    ]);
  });

  it("fails when a segment named by the manifest is deleted", async () => {
    const fs = pristine.copy();
    const seg = segments(inspection)[3] as SegmentSummary;
    await fs.remove(path(seg.name));
    const r = await checkUnchanged(fs);
    expect(errorsOf(r)).toEqual([
      { file: seg.name, offset: null, what: expect.stringMatching(/but missing$/) },
    ]);
  });

  it("reports orphan segments and temp files as warnings only", async () => {
    const fs = pristine.copy();
    await fs.setBytes(path("seg-00099999.sst"), Buffer.from("junk"));
    await fs.setBytes(path("MANIFEST.tmp"), Buffer.from("junk"));
    const r = await checkUnchanged(fs);
    expect(r.ok).toBe(true);
    expect(r.problems.map((p) => [p.severity, p.file])).toEqual([
      ["warning", "seg-00099999.sst"],
      ["warning", "MANIFEST.tmp"],
    ]);
  });

  it("reports a missing directory as an error", async () => {
    const r = await checkDatabase(new TestDisk(), "nowhere");
    expect(r.ok).toBe(false);
  });
});

describe("read-only view", () => {
  it("rejects every write-kind operation with EROFS", async () => {
    const fs = pristine.copy();
    const ro = readOnlyFileSystem(fs);
    const file = await ro.open(path("MANIFEST"));
    const attempts: Partial<Record<IoOp, Promise<unknown>>> = {
      write: file.write(0, Buffer.from("x")),
      truncate: file.truncate(0),
      sync: file.sync(),
      create: ro.open(path("new"), { create: true }),
      rename: ro.rename(path("MANIFEST"), path("M2")),
      remove: ro.remove(path("MANIFEST")),
      mkdir: ro.mkdir(path("sub")),
      syncDir: ro.syncDir(DIR),
      lock: ro.lock(DIR),
    };
    // Every operation the seam does not classify as a read is attempted.
    const writeKind = Object.entries(IO_OP_KINDS).filter(([, kind]) => kind !== "read");
    expect(Object.keys(attempts).sort()).toEqual(writeKind.map(([op]) => op).sort());
    for (const [op, a] of Object.entries(attempts))
      expect(
        ioErrorCode(
          await a.then(
            () => undefined,
            (e: unknown) => e,
          ),
        ),
        op,
      ).toBe("EROFS");
    expect((await file.read(0, 8)).length).toBe(8);
    await file.close();
    expect(fs.snapshot()).toEqual(pristine.snapshot());
  });
});

describe("fusedb check on the real disk (CLI)", () => {
  const REGISTER_TS_LOADER = resolve(import.meta.dirname, "helpers", "register-ts-loader.mjs");
  const FUSEDB = resolve(import.meta.dirname, "helpers", "fusedb-from-sources.mjs");
  let dir = "";
  afterEach(async () => {
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  /** Runs `fusedb ...args` from the sources (no build) and collects stdout and the exit code. */
  function runCli(args: string[]): Promise<{ stdout: string; code: number | null }> {
    return new Promise((done, fail) => {
      const child = spawn(process.execPath, ["--import", REGISTER_TS_LOADER, FUSEDB, ...args], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
      });
      child.on("error", fail);
      child.on("close", (code) => done({ stdout, code }));
    });
  }

  it("exits 0 on a database made by open(), and 1 after a segment byte is flipped", async () => {
    dir = await mkdtemp(join(tmpdir(), "fusedb-check-"));
    const db = await open(dir, KNOBS);
    for (let i = 0; i < 150; i++) await db.set(`user:${i % 60}`, { i });
    await db.close();

    const ok = await runCli(["check", dir]);
    expect(ok.stdout).toMatch(/^ok: /m);
    expect(ok.code).toBe(0);
    const shown = await runCli(["inspect", "--json", dir]);
    expect(shown.code).toBe(0);
    const i = JSON.parse(shown.stdout) as Inspection;
    expect(i).toEqual(await inspectDatabase(new NodeFileSystem(), dir));
    const seg = segments(i)[0] as SegmentSummary;

    const file = join(dir, seg.name);
    const data = readFileSync(file);
    data[BLOCK_HEADER_BYTES + 1] = (data[BLOCK_HEADER_BYTES + 1] as number) ^ 0xff;
    writeFileSync(file, data);
    const bad = await runCli(["check", dir]);
    expect(bad.stdout).toContain(`error   ${seg.name} @0: block checksum mismatch`);
    expect(bad.stdout).toMatch(/^FAILED: 1 error, /m);
    expect(bad.code).toBe(1);
    const json = await runCli(["check", "--json", dir]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, errors: 1 });
  });
});
