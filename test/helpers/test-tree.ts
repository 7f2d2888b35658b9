/**
 * A Tree that a test drives directly, without the engine around it: on a fresh directory DIR of `fs`, with an
 * empty manifest log (bound 1 MiB), one empty leaf, a block cache of `options.blockCacheBytes`, and a host
 * with no WAL (nothing to wait for, no WAL files to take, clock floor and expiry horizon 0) whose applied LSN
 * is the count of `apply` calls.
 */
import type { Entry } from "../../src/doc/entry.js";
import type { KeyString } from "../../src/doc/key.js";
import type { FileSystem } from "../../src/io/file-system.js";
import { BlockCache } from "../../src/tree/block-cache.js";
import { Leaf } from "../../src/tree/leaf.js";
import { emptyManifest, ManifestLog } from "../../src/tree/manifest.js";
import type { Block } from "../../src/tree/segment-reader.js";
import { Tree, type TreeHost, type TreeOptions } from "../../src/tree/tree.js";
import { DIR } from "./open-mem.js";

/** A tree under test and the way to feed it as the engine would. */
export interface TestTree {
  tree: Tree;
  /** Applies `entry` to `key` at the next LSN (1, 2, ...), which becomes the host's applied LSN. */
  apply(key: string, entry: Omit<Entry, "lsn">): void;
}

/**
 * Creates DIR on `fs` and a tree in it (see the module comment). A failed background job, or a failed
 * explicit checkpoint, is handed to `onBackgroundError`.
 */
export async function createTestTree(
  fs: FileSystem,
  options: TreeOptions,
  onBackgroundError: (err: unknown) => void,
): Promise<TestTree> {
  await fs.mkdir(DIR);
  let applied = 0;
  const host: TreeHost = {
    fs,
    dir: DIR,
    appliedLsn: () => applied,
    waitDurable: () => Promise.resolve(),
    expiryHorizonMs: () => 0,
    clockFloorMs: () => 0,
    walBytesWritten: () => 0,
    takeWalFilesBelow: () => [],
    onBackgroundError,
  };
  const log = await ManifestLog.create(fs, DIR, emptyManifest(), 1 << 20);
  const cache = new BlockCache<Block>(options.blockCacheBytes);
  const tree = Tree.create(host, log, cache, [new Leaf("", [], 0)], options);
  return {
    tree,
    apply(key, entry) {
      applied++;
      tree.apply(key as KeyString, { ...entry, lsn: applied });
    },
  };
}
