/**
 * The workload generator: seeded mixes of set, get, delete, patch, incr, expire, ttl, batch, scan and
 * checkpoint on Zipf-distributed keys (YCSB's skew), drawn from the campaign's `workload` stream only. Some
 * sets carry a TTL (milliseconds to a few seconds of virtual time) and some mutations an `ifVersion` (0, or
 * a small version that hot keys have long passed: both outcomes happen).
 *
 * Data types (issue 14): with a `typed` weight, steps also draw operations on strings, hashes, lists, sets,
 * sorted sets and generic keys (sim/typed-ops.ts, weighted by its TYPED_MIX) on the same keys as the
 * documents, so WRONGTYPE answers happen, and deletes and expiries of documents also delete and expire whole
 * collections.
 */

import type { Prng } from "./disk/prng.js";
import { Zipf } from "./disk/prng.js";
import type { ModelJson, ModelMutation } from "./model.js";
import { TxWorkload, type TxWorkloadStep } from "./tx-workload.js";
import { type HomeType, TYPED_MIX, TYPED_OPS, type TypedCall } from "./typed-ops.js";

/** The data types with home keys (see `Workload.homeKey`), in the order their homes alternate. */
export const HOME_TYPES: readonly HomeType[] = ["hash", "set", "string", "list", "zset"];

/** One step of the workload. */
export type WorkloadStep =
  | { kind: "mutate"; mutations: ModelMutation[]; batch: boolean }
  | { kind: "get"; key: string }
  | { kind: "ttl"; key: string }
  | { kind: "scan"; gte?: string; lt?: string; limit: number; reverse: boolean }
  | { kind: "checkpoint" }
  | { kind: "typed"; call: TypedCall }
  | TxWorkloadStep;

/** Relative weights of each step kind. */
export interface WorkloadMix {
  set: number;
  get: number;
  delete: number;
  patch: number;
  incr: number;
  expire: number;
  ttl: number;
  batch: number;
  scan: number;
  checkpoint: number;
  /** Data-type operations (sim/typed-ops.ts). */
  typed: number;
  /** Transactions, snapshot readers, index creates and drops, index queries (sim/tx-workload.ts). */
  tx: number;
  snapshot: number;
  index: number;
  query: number;
}

/** The default mix: update-heavy, as hot state is. */
export const DEFAULT_MIX: WorkloadMix = {
  set: 14,
  get: 20,
  delete: 5,
  patch: 12,
  incr: 30,
  expire: 3,
  ttl: 3,
  batch: 8,
  scan: 6,
  checkpoint: 1,
  typed: 0,
  tx: 0,
  snapshot: 0,
  index: 0,
  query: 0,
};

/**
 * The mix of campaigns with data types: the default, plus data-type steps (a third of all steps, shared by
 * five types and the generic key operations: about 50 calls of each type per 1000 steps). More would cost
 * CI time (the coverage test's 300 seeds) faster than it finds anything.
 */
export const TYPED_CAMPAIGN_MIX: WorkloadMix = { ...DEFAULT_MIX, delete: 7, expire: 4, typed: 60 };

/**
 * The mix of campaigns with transactions and indexes (issue 16): `base`'s steps, plus
 * transactions (about one step in five), snapshot readers, index queries and, rarely, an index created or
 * dropped. The weights of `base` are unchanged.
 */
export function txCampaignMix(base: WorkloadMix): WorkloadMix {
  return { ...base, tx: 28, snapshot: 6, index: 4, query: 8 };
}

const FIELDS = ["a", "b", "c", "n", "tags"] as const;

/** Draws workload steps from a seeded stream. */
export class Workload {
  private readonly zipf: Zipf;
  private readonly total: number;
  private readonly txSteps: TxWorkload;

  constructor(
    private readonly prng: Prng,
    private readonly keyCount: number,
    private readonly mix: WorkloadMix = DEFAULT_MIX,
  ) {
    this.zipf = new Zipf(prng, keyCount, 0.99, true);
    this.total = Object.values(mix).reduce((a, b) => a + b, 0);
    this.txSteps = new TxWorkload(
      prng,
      () => this.key(),
      (i) => Workload.keyName(i),
      keyCount,
    );
  }

  /** Name of key number `i`: `k` plus three digits, so keys sort in number order. */
  static keyName(i: number): string {
    return `k${String(i).padStart(3, "0")}`;
  }

  /** The next step. */
  next(): WorkloadStep {
    let r = this.prng.int(this.total);
    for (const kind of Object.keys(this.mix) as (keyof WorkloadMix)[]) {
      r -= this.mix[kind];
      if (r < 0) return this.step(kind);
    }
    return this.step("get");
  }

  /**
   * A key by the Zipf law. With data types, documents keep mostly to numbers 0 mod 3 (a key drawn off them
   * moves down to one with probability 0.8), leaving the others mostly to collections (see `homeKey`).
   */
  private key(): string {
    let i = this.zipf.next();
    if (this.mix.typed > 0 && i % 3 !== 0 && this.prng.bool(0.8)) i -= i % 3;
    return Workload.keyName(i);
  }

  /**
   * A key for a data type: with probability 0.85 one of its home keys, uniformly, else any key by the Zipf
   * law, where documents live (WRONGTYPE). The keys whose number is not 0 mod 3 are the types' homes: the
   * r-th of them (r = 0, 1, ...) belongs to type number r mod 5 of {@link HOME_TYPES}. A type without a
   * home (too few keys): any key.
   */
  private homeKey(type: HomeType | undefined): string {
    const t = type === undefined ? -1 : HOME_TYPES.indexOf(type);
    const others = this.keyCount - Math.ceil(this.keyCount / 3);
    const homes = t < 0 ? 0 : Math.floor((others - t + HOME_TYPES.length - 1) / HOME_TYPES.length);
    if (homes < 1 || this.prng.bool(0.15)) return this.key();
    const r = HOME_TYPES.length * this.prng.int(homes) + t;
    return Workload.keyName(3 * Math.floor(r / 2) + 1 + (r % 2));
  }

  private step(kind: keyof WorkloadMix): WorkloadStep {
    switch (kind) {
      case "get":
        return { kind: "get", key: this.key() };
      case "ttl":
        return { kind: "ttl", key: this.key() };
      case "scan": {
        const a = this.prng.int(this.keyCount);
        const b = Math.min(this.keyCount, a + 1 + this.prng.int(20));
        return {
          kind: "scan",
          gte: this.prng.bool(0.8) ? Workload.keyName(a) : undefined,
          lt: this.prng.bool(0.8) ? Workload.keyName(b) : undefined,
          limit: 1 + this.prng.int(25),
          reverse: this.prng.bool(0.3),
        };
      }
      case "checkpoint":
        return { kind: "checkpoint" };
      case "typed":
        return { kind: "typed", call: this.typedCall() };
      case "tx":
        return this.txSteps.tx();
      case "snapshot":
        return this.txSteps.snapshot();
      case "index":
        return this.txSteps.index();
      case "query":
        return this.txSteps.query();
      case "batch": {
        const n = 2 + this.prng.int(4);
        const mutations: ModelMutation[] = [];
        for (let i = 0; i < n; i++)
          mutations.push(this.mutation(this.prng.pick(["set", "delete", "patch", "incr", "expire"])));
        return { kind: "mutate", mutations, batch: true };
      }
      default:
        return { kind: "mutate", mutations: [this.mutation(kind)], batch: false };
    }
  }

  /** A data-type call, drawn by TYPED_MIX weight. */
  private typedCall(): TypedCall {
    const names = Object.keys(TYPED_MIX);
    let r = this.prng.int(names.reduce((a, n) => a + (TYPED_MIX[n] as number), 0));
    for (const name of names) {
      r -= TYPED_MIX[name] as number;
      if (r < 0)
        return (TYPED_OPS[name] as (typeof TYPED_OPS)[string]).draw({
          prng: this.prng,
          key: (type) => this.homeKey(type),
        });
    }
    throw new Error("typedCall: empty mix");
  }

  private mutation(kind: "set" | "delete" | "patch" | "incr" | "expire"): ModelMutation {
    const m = this.unconditional(kind);
    if (this.prng.bool(0.1)) m.ifVersion = this.prng.bool(0.4) ? 0 : this.prng.range(1, 8);
    return m;
  }

  private unconditional(kind: "set" | "delete" | "patch" | "incr" | "expire"): ModelMutation {
    // With data types, a third of the deletes and expiries go to the types' home keys: whole collections go.
    const typed = this.mix.typed > 0 && (kind === "delete" || kind === "expire") && this.prng.bool(0.3);
    const key = typed ? this.homeKey(this.prng.pick(HOME_TYPES)) : this.key();
    switch (kind) {
      case "set":
        return this.prng.bool(0.3)
          ? { op: "set", key, value: this.value(), ttlMs: this.ttlMs() }
          : { op: "set", key, value: this.value() };
      case "delete":
        return { op: "delete", key };
      case "patch":
        return { op: "patch", key, patch: this.patchDoc() };
      case "expire":
        return { op: "expire", key, ms: this.ttlMs() };
      case "incr":
        // Mostly small deltas; rarely a huge one, to reach the safe-integer bound.
        return {
          op: "incr",
          key,
          delta: this.prng.bool(0.02) ? Number.MAX_SAFE_INTEGER : this.prng.range(-3, 5),
        };
    }
  }

  /** A time to live: often a few milliseconds (expiring among in-flight I/O), else up to 5 s. */
  private ttlMs(): number {
    return this.prng.bool(0.5) ? this.prng.range(1, 30) : this.prng.range(31, 5000);
  }

  private value(): ModelJson {
    switch (this.prng.int(5)) {
      case 0:
        return this.prng.range(-1000, 1000);
      case 1:
        return `s${this.prng.int(100)}`;
      case 2:
        return [this.prng.int(10), this.prng.bool()];
      case 3:
        return null;
      default:
        return { a: this.prng.int(100), b: { c: `x${this.prng.int(10)}` } };
    }
  }

  private patchDoc(): ModelJson {
    if (this.prng.bool(0.1)) return this.value(); // a non-object patch replaces the document
    const out: { [field: string]: ModelJson } = {};
    const n = 1 + this.prng.int(3);
    for (let i = 0; i < n; i++) {
      const field = this.prng.pick(FIELDS);
      out[field] = this.prng.bool(0.25)
        ? null
        : field === "b"
          ? { c: this.prng.int(5), d: null }
          : this.prng.int(50);
    }
    return out;
  }
}
