/**
 * A scan's work between yields is bounded (issue 12 item 12, first half). Invariants: a scan for one live
 * key behind many tombstones yields once per `scanEntriesPerYield` entries it examines (tombstones
 * included), forwards and in reverse, and still answers exactly; with a yield that lets the event loop run,
 * a callback queued on the event loop when the scan starts runs before the scan ends (without pacing, the
 * scan's in-memory work ran to the end first).
 */
import { describe, expect, it } from "vitest";
import type { Entry } from "../src/doc/entry.js";
import { Tree, type TreeOptions } from "../src/tree/tree.js";

const OPTIONS: TreeOptions = {
  leafBufferBytes: 1 << 30,
  bufferBytesMax: 1 << 30,
  leafBytesMax: 1 << 30,
  segmentsMax: 4,
  hotWriteShare: 0.25,
  checkpointWalBytes: 1 << 30,
  blockCacheBytes: 1 << 20,
  sliceBytes: 1 << 18,
};

const TOMBSTONES = 10_000;

/** A tree holding TOMBSTONES tombstones ("k00000"…) and one live key after them ("z"). */
function treeOfTombstones(options: Partial<TreeOptions>): Tree {
  const tree = Tree.inMemory({ ...OPTIONS, ...options });
  let lsn = 0;
  for (let i = 0; i < TOMBSTONES; i++) {
    const tombstone: Entry = { version: 2, value: undefined, text: undefined, lsn: ++lsn };
    tree.apply(`k${String(i).padStart(5, "0")}`, tombstone);
  }
  tree.apply("z", { version: 1, value: 1, text: new TextEncoder().encode("1"), lsn: ++lsn });
  return tree;
}

describe("scan pacing", () => {
  for (const reverse of [false, true]) {
    it(`yields once per 100 entries examined${reverse ? ", in reverse" : ""}`, async () => {
      let yields = 0;
      const tree = treeOfTombstones({
        scanEntriesPerYield: 100,
        yieldToEventLoop: () => {
          yields++;
          return Promise.resolve();
        },
      });
      // Every entry is examined: forwards the live key comes last; in reverse the range excludes it, so the
      // scan examines it (out of range), then every tombstone, and finds nothing.
      const range = reverse ? { lt: "z" } : {};
      const found = await tree.scan(range, 1, reverse, 0);
      expect(found.map(([k]) => k)).toEqual(reverse ? [] : ["z"]);
      expect(yields).toBe(Math.floor((TOMBSTONES + 1) / 100));
    });
  }

  it("lets the event loop run during a long scan when the yield does", async () => {
    const tree = treeOfTombstones({
      yieldToEventLoop: () => new Promise<void>((resolve) => setImmediate(resolve)),
    });
    let scanDone = false;
    let ranDuringScan: boolean | undefined;
    setImmediate(() => {
      ranDuringScan = !scanDone;
    });
    const found = await tree.scan({}, 1, false, 0);
    scanDone = true;
    expect(found.map(([k]) => k)).toEqual(["z"]);
    expect(ranDuringScan).toBe(true);
  });
});
