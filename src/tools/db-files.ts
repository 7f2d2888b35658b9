/**
 * What the tools (`fusedb inspect`, `fusedb check`) share: the directory listing sorted into the engine's
 * kinds of file, by the names of src/wal/format.ts and src/tree/segment-format.ts, and fence keys shown
 * readably.
 */
import { Buffer } from "node:buffer";
import type { KeyString } from "../doc/key.js";
import type { FileSystem } from "../io/file-system.js";
import { parseSegmentFileName } from "../tree/segment-format.js";
import { walFilesIn } from "../wal/wal-head.js";
import type { WalFileInfo } from "../wal/wal-writer.js";

/** A data directory's entries, by kind. */
export interface DbFiles {
  /** Every entry, sorted bytewise. */
  names: string[];
  /** WAL files, sorted by first LSN. */
  walFiles: WalFileInfo[];
  /** Segment files (`seg-<8 digits>.sst`), named in the manifest or not. */
  segmentFiles: string[];
  /** Temp files (`*.tmp`, the lock protocol's `LOCK*` excepted): left by a crash, removed at the next open. */
  tempFiles: string[];
}

/**
 * Lists `dir` and sorts its entries into kinds, as `FuseDB.open` does.
 * @throws on I/O errors (ENOENT if `dir` is missing).
 */
export async function listDbFiles(fs: FileSystem, dir: string): Promise<DbFiles> {
  const names = await fs.list(dir);
  return {
    names,
    walFiles: walFilesIn(names),
    segmentFiles: names.filter((n) => parseSegmentFileName(n) !== undefined),
    tempFiles: names.filter((n) => n.endsWith(".tmp") && !n.startsWith("LOCK")),
  };
}

/** Control characters, lone surrogates and the replacement character make a key "not printable". */
const UNPRINTABLE = /[\p{Cc}\p{Cs}\uFFFD]/u;

/**
 * A key for people: its UTF-8 text as a JSON string (`"user:42"`) if the bytes are valid UTF-8 with no
 * control characters, else `0x` and its bytes in hex (`0x00ff`).
 */
export function displayKey(key: KeyString): string {
  const bytes = Buffer.from(key, "latin1");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return `0x${bytes.toString("hex")}`;
  }
  return UNPRINTABLE.test(text) ? `0x${bytes.toString("hex")}` : JSON.stringify(text);
}

/** The error's message for a report line; a CorruptionError's "corruption in F at offset N: " is dropped. */
export function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { file?: unknown; offset?: unknown };
  const prefix = `corruption in ${String(e.file)} at offset ${String(e.offset)}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}
