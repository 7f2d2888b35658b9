/**
 * Broken disks that the oracle must catch (the canary of TigerBeetle's TIGER_STYLE: a harness that cannot
 * fail proves nothing; SQLite's test6.c crash VFS plays the same role). Each wraps any `FileSystem`; they
 * exist for sensitivity tests only.
 */
import type { File } from "../src/io/file-system.js";
import { ForwardingFile, ForwardingFileSystem } from "../src/io/forwarding-file-system.js";

/** A file whose `sync` returns success without syncing: the lying fsync. */
class LyingSyncFile extends ForwardingFile {
  override async sync(): Promise<void> {
    // Lies: nothing becomes durable.
  }
}

/**
 * The lying fsync: every `File.sync` and `syncDir` succeeds and makes nothing durable, so after a crash only
 * what the planner happens to keep survives. Wrap a `SimFileSystem`: `new LyingSyncFileSystem(fs)`.
 */
export class LyingSyncFileSystem extends ForwardingFileSystem {
  protected override wrapFile(file: File): File {
    return new LyingSyncFile(file);
  }
  override async syncDir(_path: string): Promise<void> {
    // Lies: directory entries stay pending.
  }
}

/** A directory fsync that does nothing: new files and renames are never made durable. */
export class NoDirSyncFileSystem extends ForwardingFileSystem {
  override async syncDir(_path: string): Promise<void> {
    // Lies: directory entries stay pending.
  }
}
