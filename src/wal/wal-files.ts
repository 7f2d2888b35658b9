/** The live WAL files as the writer, recovery and the tools list them (docs/wal-format.md, "Files"). */

/** A live WAL file: its name and the LSN of its first record. */
export interface WalFileInfo {
  name: string;
  firstLsn: number;
}

/**
 * How many leading files of `files` (oldest first) lie wholly at or below `lsn`: a file does when the next
 * file starts at or below `lsn + 1`. The last file never counts: it is the one being written.
 */
export function countFilesWhollyBelow(files: readonly WalFileInfo[], lsn: number): number {
  let n = 0;
  // Bounded by the number of files: `n + 1` grows up to the last index.
  for (;;) {
    const next = files[n + 1];
    if (next === undefined) return n;
    if (next.firstLsn > lsn + 1) return n;
    n++;
  }
}
