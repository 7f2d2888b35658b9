/**
 * The transaction and index steps of a campaign's workload (issue 16, "Proven like the rest"), drawn from
 * the workload's stream: `db.transaction` calls (snapshot or serializable, retries 0..4) whose plans read,
 * scan, transfer between Zipf-skewed keys (read two, write both: the conflicts first-committer-wins must
 * settle), write every document mutation (set with and without a TTL, patch, incr, delete, expire, batch)
 * and use savepoints (rollbackTo, release); `db.snapshot()` readers holding their view across other work;
 * `createIndex` / `dropIndex` over a fixed set of index definitions (plain, nested path, multikey, unique);
 * and `db.query` calls on them. Transaction values carry the indexed fields (`u` for the unique index, arrays
 * under `tags` for the multikey one), so index maintenance, unique refusals and failed unique builds happen.
 */
import type { Prng } from "./disk/prng.js";
import type { ModelJson, ModelMutation } from "./model.js";

/** One index definition the campaign creates and drops; its name always means this definition. */
export interface IndexDefinition {
  name: string;
  prefix: string;
  path: string;
  unique: boolean;
}

/** The definitions campaigns draw from (keys are `k000`..: prefix `k0` covers the first hundred). */
export const INDEX_DEFINITIONS: readonly IndexDefinition[] = [
  { name: "by-a", prefix: "k0", path: "a", unique: false },
  { name: "by-bc", prefix: "k00", path: "b.c", unique: false },
  { name: "by-tags", prefix: "k0", path: "tags", unique: false },
  { name: "uniq-u", prefix: "k0", path: "u", unique: true },
  { name: "by-n", prefix: "k01", path: "n", unique: false },
];

/** An indexed value a query bound takes. */
export type QueryValue = null | boolean | number | string;

/** A query's predicate and shape. */
export interface QueryShape {
  eq?: QueryValue;
  gte?: QueryValue;
  gt?: QueryValue;
  lt?: QueryValue;
  lte?: QueryValue;
  prefix?: string;
  limit: number;
  reverse: boolean;
}

/** One operation of a transaction's plan. */
export type TxOp =
  | { op: "get"; key: string }
  | { op: "scan"; gte: string; lt: string; limit: number; reverse: boolean }
  | { op: "write"; m: ModelMutation }
  | { op: "batch"; ms: ModelMutation[] }
  | { op: "transfer"; from: string; to: string; amount: number }
  | { op: "savepoint"; name: string }
  | { op: "rollbackTo"; name: string }
  | { op: "release"; name: string };

/** A snapshot reader's read. */
export type SnapshotRead =
  | { op: "get"; key: string }
  | { op: "scan"; gte: string; lt: string; limit: number };

/** The steps this module draws (part of sim/workload.ts's WorkloadStep). */
export type TxWorkloadStep =
  | { kind: "tx"; isolation: "snapshot" | "serializable"; retries: number; ops: TxOp[] }
  | { kind: "snapshot"; reads: SnapshotRead[] }
  | { kind: "index"; action: "create" | "drop"; def: IndexDefinition }
  | { kind: "query"; def: IndexDefinition; q: QueryShape };

/** Draws the steps of this module from `prng`, with keys from `key` (Zipf-skewed) and `keyName(i)`. */
export class TxWorkload {
  constructor(
    private readonly prng: Prng,
    private readonly key: () => string,
    private readonly keyName: (i: number) => string,
    private readonly keyCount: number,
  ) {}

  /** A transaction: 2..8 operations, a savepoint in a third of them. */
  tx(): TxWorkloadStep {
    const p = this.prng;
    const ops: TxOp[] = [];
    const n = p.range(2, 8);
    let savepoints = 0;
    for (let i = 0; i < n; i++) {
      const r = p.int(100);
      if (r < 22) ops.push({ op: "get", key: this.key() });
      else if (r < 30) ops.push({ op: "scan", ...this.range(), reverse: p.bool(0.3) });
      else if (r < 52) ops.push({ op: "transfer", from: this.key(), to: this.key(), amount: p.range(1, 9) });
      else if (r < 80) ops.push({ op: "write", m: this.mutation() });
      else if (r < 86) ops.push({ op: "batch", ms: [this.mutation(), this.mutation(), this.mutation()] });
      else if (r < 93 || savepoints === 0) ops.push({ op: "savepoint", name: `sp${savepoints++}` });
      else ops.push({ op: p.bool(0.6) ? "rollbackTo" : "release", name: `sp${p.int(savepoints)}` });
    }
    return { kind: "tx", isolation: p.bool() ? "snapshot" : "serializable", retries: p.int(5), ops };
  }

  /** A snapshot reader: 2..5 reads over one view. */
  snapshot(): TxWorkloadStep {
    const reads: SnapshotRead[] = [];
    for (let i = this.prng.range(2, 5); i > 0; i--) {
      reads.push(this.prng.bool(0.7) ? { op: "get", key: this.key() } : { op: "scan", ...this.range() });
    }
    return { kind: "snapshot", reads };
  }

  /** Creates (three in four) or drops an index. */
  index(): TxWorkloadStep {
    const def = this.prng.pick(INDEX_DEFINITIONS);
    return { kind: "index", action: this.prng.bool(0.75) ? "create" : "drop", def };
  }

  /** A query: equality, a range, or a string prefix. */
  query(): TxWorkloadStep {
    const p = this.prng;
    const def = p.pick(INDEX_DEFINITIONS);
    const q: QueryShape = { limit: p.pick([1, 3, 100]), reverse: p.bool(0.3) };
    const v = (): QueryValue => this.indexedValue();
    switch (p.int(4)) {
      case 0:
        q.eq = v();
        break;
      case 1:
        q.gte = v();
        if (p.bool()) q.lt = v();
        break;
      case 2:
        q.gt = v();
        q.lte = v();
        break;
      default:
        q.prefix = p.pick(["x", "u", "s", ""]);
    }
    return { kind: "query", def, q };
  }

  private range(): { gte: string; lt: string; limit: number } {
    const a = this.prng.int(this.keyCount);
    const b = Math.min(this.keyCount, a + 1 + this.prng.int(8));
    return { gte: this.keyName(a), lt: this.keyName(b), limit: 1 + this.prng.int(10) };
  }

  private mutation(): ModelMutation {
    const p = this.prng;
    const key = this.key();
    switch (p.int(7)) {
      case 0:
      case 1:
        return p.bool(0.25)
          ? { op: "set", key, value: this.doc(), ttlMs: p.range(1, 3000) }
          : { op: "set", key, value: this.doc() };
      case 2:
        return { op: "patch", key, patch: { a: p.int(20), u: p.bool(0.5) ? `u${p.int(6)}` : null } };
      case 3:
        return { op: "incr", key, delta: p.range(-3, 5) };
      case 4:
        return { op: "delete", key };
      case 5:
        return { op: "expire", key, ms: p.range(1, 3000) };
      default:
        return { op: "patch", key, patch: { tags: [p.int(5), `t${p.int(3)}`], n: p.int(4) } };
    }
  }

  /** A document with the indexed fields: `a`, `b.c`, `tags` (an array: multikey), often `u` (unique). */
  private doc(): ModelJson {
    const p = this.prng;
    const d: { [f: string]: ModelJson } = { a: p.int(20), b: { c: `x${p.int(6)}` }, n: p.int(4) };
    if (p.bool(0.7)) d.tags = [p.int(5), p.int(5), `t${p.int(3)}`];
    if (p.bool(0.5)) d.u = `u${p.int(8)}`;
    return d;
  }

  private indexedValue(): QueryValue {
    const p = this.prng;
    switch (p.int(5)) {
      case 0:
        return p.int(20);
      case 1:
        return `x${p.int(6)}`;
      case 2:
        return `u${p.int(8)}`;
      case 3:
        return p.pick([null, false, true]);
      default:
        return `t${p.int(3)}`;
    }
  }
}
