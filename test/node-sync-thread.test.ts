/**
 * The real disk's write-and-sync thread (src/io/node-sync-thread.ts) and `File.writeAndSync` on
 * `NodeFileSystem`. Invariants:
 * - a request's writes all land, in order (a later write over an earlier one wins), before it resolves;
 * - a failed step is reported as that step with the OS error's code (a write on a read-only descriptor:
 *   step "write", EBADF), and the thread goes on serving later requests;
 * - `writeAndSync` gives the same bytes whether the thread runs yet or not (its first requests take the
 *   in-thread path), and closing the last file that used the thread stops it.
 */
import { Buffer } from "node:buffer";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WriteAndSyncError } from "../src/io/file-system.js";
import { NodeFileSystem } from "../src/io/node-file-system.js";
import { SyncThread } from "../src/io/node-sync-thread.js";

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fusedb-sync-thread-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sync thread", () => {
  it("writes every span in order, then syncs; reports a failed step with its code; stops on release", async () => {
    const path = join(dir, "f");
    writeFileSync(path, "");
    const thread = new SyncThread();
    thread.acquire();
    await thread.whenReady();
    expect(thread.ready).toBe(true);
    const fd = openSync(path, "r+");
    const readOnlyFd = openSync(path, "r");
    try {
      const wrap = (step: "write" | "sync", err: Error) => new WriteAndSyncError(step, err);
      await thread.run(
        fd,
        [
          { offsetBytes: 0, data: Buffer.from("hello world") },
          { offsetBytes: 6, data: Buffer.from("there") },
          { offsetBytes: 11, data: Buffer.from("!") },
        ],
        wrap,
      );
      expect(readFileSync(path, "utf8")).toBe("hello there!");
      const failed = thread.run(readOnlyFd, [{ offsetBytes: 0, data: Buffer.from("x") }], wrap);
      await expect(failed).rejects.toBeInstanceOf(WriteAndSyncError);
      await expect(failed).rejects.toMatchObject({ step: "write", code: "EBADF", cause: { code: "EBADF" } });
      await thread.run(fd, [{ offsetBytes: 12, data: Buffer.from("?") }], wrap);
      expect(readFileSync(path, "utf8")).toBe("hello there!?");
    } finally {
      closeSync(fd);
      closeSync(readOnlyFd);
    }
    thread.release();
    expect(thread.ready).toBe(false);
  });

  it("NodeFile.writeAndSync gives the same bytes before and after the thread runs", async () => {
    const fs = new NodeFileSystem();
    const file = await fs.open(join(dir, "g"), { create: true });
    // The first request starts the thread and may take the in-thread path; later ones may take the thread.
    for (let i = 0; i < 50; i++) {
      const chunk = Buffer.from(`${i % 10}`.repeat(10));
      await file.writeAndSync([
        { offsetBytes: 0, data: Buffer.from(String(i).padStart(4, "0")) },
        { offsetBytes: 4 + i * 10, data: chunk },
      ]);
    }
    expect(await file.size()).toBe(4 + 50 * 10);
    await file.close();
    const text = readFileSync(join(dir, "g"), "utf8");
    expect(text.slice(0, 4)).toBe("0049");
    for (let i = 0; i < 50; i++) expect(text.slice(4 + i * 10, 14 + i * 10)).toBe(`${i % 10}`.repeat(10));
  });
});
