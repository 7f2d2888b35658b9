/**
 * WAL rotation driven by the WAL floor (issue 13, restart time; src/wal/wal-writer.ts `takeFilesBelow`).
 * Invariants checked:
 * - once a background job's manifest edit moves the floor into the current WAL file and that file holds an
 *   eighth of `walFileBytesMax`, the writer rotates, so the records below the floor leave with the file at
 *   a later floor move: far less than `walFileBytesMax` of WAL below the floor stays for open to read,
 *   though no file ever reached `walFileBytesMax`;
 * - a reopen recovers every acknowledged write, with the same versions, whatever the rotations did.
 */
import { describe, expect, it } from "vitest";
import type { FuseDB } from "../src/db.js";
import { parseWalFileName } from "../src/wal/format.js";
import { DIR, openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

const WAL_FILE_BYTES = 256 * 1024;
const KEYS = 64;
const WRITES = 180; // about 180 KB of WAL: under WAL_FILE_BYTES, so no rotation by size
const PAD = "x".repeat(1000);

function walFiles(fs: TestDisk): { name: string; bytes: number }[] {
  return fs
    .paths()
    .map((p) => p.slice(DIR.length + 1))
    .filter((n) => parseWalFileName(n) !== undefined)
    .map((name) => ({ name, bytes: fs.bytes(`${DIR}/${name}`).length }));
}

/** Waits (without moving the clock) until no background job runs. */
async function settle(db: FuseDB): Promise<void> {
  for (let i = 0; i < 100_000 && !db.stats().background.idle; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe("WAL rotation at floor moves", () => {
  it("rotates a file the floor entered, so the WAL below the floor is deleted long before walFileBytesMax", async () => {
    const fs = new TestDisk();
    // Small buffers flush often (each flush moves the floor); checkpoints by WAL size never come.
    const options = {
      walFileBytesMax: WAL_FILE_BYTES,
      leafBufferBytes: 8 * 1024,
      checkpointWalBytes: 1 << 30,
    };
    const db = await openMem(fs, options);
    for (let i = 0; i < WRITES; i++) {
      await db.set(`k${String(i % KEYS).padStart(3, "0")}`, { i, pad: PAD });
      await settle(db);
    }
    const files = walFiles(fs);
    let total = 0;
    for (const f of files) total += f.bytes;
    expect(total).toBeLessThan(WAL_FILE_BYTES); // no file could have rotated by size
    // The first file (LSN 1) was rotated at a floor move and deleted at a later one.
    expect(files.map((f) => f.name)).not.toContain("wal-0000000000000001.log");
    expect(db.stats().tree.walFilesDeleted).toBeGreaterThan(0);
    const versions = new Map<string, number>();
    for (let k = 0; k < KEYS; k++) {
      const key = `k${String(k).padStart(3, "0")}`;
      versions.set(key, (await db.get(key))?.version ?? 0);
    }
    await db.close();
    const reopened = await openMem(fs, options);
    for (const [key, version] of versions) expect((await reopened.get(key))?.version ?? 0).toBe(version);
    expect((await reopened.get("k000"))?.value).toMatchObject({ i: 128 }); // the last i below WRITES, i % KEYS 0
    await reopened.close();
  });
});
