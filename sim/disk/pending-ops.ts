/**
 * The pending list an inode or a directory keeps: the operations that completed but are not yet durable,
 * each numbered by the disk's sequence counter when it completed.
 *
 * Invariant: a pending list is in ascending sequence order (operations are appended as they complete), so
 * what a sync issued at mark `m` covers is exactly the prefix numbered up to `m`.
 */

/** An operation numbered by the disk's sequence counter. */
export interface Sequenced {
  readonly seq: number;
}

/**
 * Removes from `pending` the prefix numbered up to `mark`, handing each operation to `apply` in order
 * (which applies it to the durable side, or counts it when a failed sync drops it).
 */
export function foldPrefix<Op extends Sequenced>(pending: Op[], mark: number, apply: (op: Op) => void): void {
  let count = 0;
  while (count < pending.length && (pending[count] as Op).seq <= mark) {
    apply(pending[count] as Op);
    count++;
  }
  pending.splice(0, count);
}
