/**
 * One simulated file apart from its names: an inode, held by id so a rename keeps its identity, with
 * `durable` bytes (what survives a crash), an ordered list of `pending` writes and truncates, and `live`
 * bytes (what reads see).
 *
 * Invariant: applying `pending` in order to `durable` gives `live`, except for bytes of operations a failed
 * fsync dropped (they stay in `live` and never reach `durable`). Pending operations own their bytes and are
 * never modified, so copies of an inode may share them.
 */
import { ByteImage } from "./byte-image.js";

/** A file operation that completed but is not yet durable, numbered by the disk's sequence counter. */
export type FileOp =
  | { readonly kind: "write"; readonly seq: number; readonly offset: number; readonly data: Uint8Array }
  | { readonly kind: "truncate"; readonly seq: number; readonly sizeBytes: number };

/** A file's durable and pending state; see the module comment. */
export interface Inode {
  readonly id: number;
  readonly durable: ByteImage;
  readonly live: ByteImage;
  readonly pending: FileOp[];
  /** Handles opened and not yet closed; an inode with none and no name may be collected. */
  openHandles: number;
}

/** A new empty file, not yet open. */
export function newInode(id: number): Inode {
  return { id, durable: new ByteImage(), live: new ByteImage(), pending: [], openHandles: 0 };
}

/** A file whose bytes are all durable (`image`, owned by the result), with nothing pending or open. */
export function durableInode(id: number, image: ByteImage): Inode {
  return { id, durable: image, live: image.clone(), pending: [], openHandles: 0 };
}

/** An independent copy of `inode`'s durable, live and pending state, with no handle open. */
export function cloneInode(inode: Inode): Inode {
  return {
    id: inode.id,
    durable: inode.durable.clone(),
    live: inode.live.clone(),
    pending: [...inode.pending], // operations are immutable and own their bytes
    openHandles: 0,
  };
}

/** Applies one file operation to `image`. */
export function applyFileOp(image: ByteImage, op: FileOp): void {
  if (op.kind === "write") image.write(op.offset, op.data);
  else image.truncate(op.sizeBytes);
}
