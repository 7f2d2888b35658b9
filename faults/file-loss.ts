/**
 * Losses wider than a bit: whole files deleted (an operator's `rm`, a restore that missed the newest file)
 * and the tail of a file gone or zeroed (a file system that lost its last blocks; issue 12 items 4 and 6).
 * Unlike a crash, these destroy durable, acknowledged data, so the engine cannot survive them; it must stop
 * with a typed `CorruptionError` naming what is missing, or answer exactly as before when nothing it needs
 * was lost. Applied through the FileSystem seam and made durable, on a disk no engine has open.
 */
import type { FileSystem } from "../src/io/file-system.js";
import { joinPath } from "../src/io/file-system.js";

/** One loss, by file name inside a directory. */
export type FileLoss =
  /** The files are deleted. */
  | { kind: "remove"; names: string[] }
  /** The file is cut to `sizeBytes`. */
  | { kind: "truncate"; name: string; sizeBytes: number }
  /** The file's bytes from `fromByte` to its end read back as zeros. */
  | { kind: "zero-tail"; name: string; fromByte: number };

/** A line for traces and reports. */
export function describeFileLoss(loss: FileLoss): string {
  switch (loss.kind) {
    case "remove":
      return `deleted ${loss.names.join(", ")}`;
    case "truncate":
      return `${loss.name} cut to ${loss.sizeBytes} bytes`;
    case "zero-tail":
      return `${loss.name} zeroed from byte ${loss.fromByte} on`;
  }
}

/** Applies `loss` to the files of `dir` on `fs`, durably (fdatasync, directory sync). */
export async function applyFileLoss(fs: FileSystem, dir: string, loss: FileLoss): Promise<void> {
  if (loss.kind === "remove") {
    for (const name of loss.names) await fs.remove(joinPath(dir, name));
    await fs.syncDir(dir);
    return;
  }
  const file = await fs.open(joinPath(dir, loss.name));
  try {
    if (loss.kind === "truncate") {
      await file.truncate(loss.sizeBytes);
    } else {
      const size = await file.size();
      if (size > loss.fromByte) await file.write(loss.fromByte, new Uint8Array(size - loss.fromByte));
    }
    await file.sync();
  } finally {
    await file.close();
  }
}
