/**
 * The data-type namespaces of a transaction (`tx.strings`, `tx.hashes`, `tx.lists`, `tx.sets`, `tx.zsets`,
 * `tx.keys`, `tx.json`): the very classes of `db.strings` and the rest, built on a runner
 * ({@link OpRunner}, src/types/runner.ts) whose `write` and `read` run the operation inside the transaction
 * (src/tx/transaction.ts `typedWrite`, `typedRead`) instead of on the database. Blocking pops do not block
 * inside a transaction (as in Redis's MULTI): they pop what is there or answer undefined at once.
 */
import type { Buffer } from "node:buffer";
import type { Entry, Mutation } from "../doc/entry.js";
import { liveVersion } from "../doc/entry.js";
import { isInternalKey, type KeyInput, type KeyString, toKeyString, userKeyBytes } from "../doc/key.js";
import { InvalidArgumentError } from "../errors.js";
import { JsonPaths } from "../json-paths.js";
import type { ResolvedOptions } from "../options.js";
import { binaryOf } from "../types/encoding.js";
import { Hashes } from "../types/hashes.js";
import { Keys } from "../types/keys.js";
import { Lists } from "../types/lists.js";
import { type BlockingPop, popFirst, type Served } from "../types/pop-waiters.js";
import { SeedSequence } from "../types/random.js";
import type { OpRunner } from "../types/runner.js";
import { Sets } from "../types/sets-api.js";
import { Strings } from "../types/strings.js";
import type { Txn } from "../types/txn.js";
import {
  type TypesWriteInfo,
  type TypesWriteOptions,
  type WriteGuard,
  writeGuard,
} from "../types/write-options.js";
import { SortedSets } from "../types/zsets.js";
import type { BatchResult, Versioned } from "../types.js";

/** An `onCommit` of a data-type write inside a transaction, with what the call did at commit. */
export interface OnCommitCall {
  readonly onCommit: (info: TypesWriteInfo) => void;
  readonly info: Omit<TypesWriteInfo, "lsn">;
}

/**
 * What one data-type write did at commit, for its `onCommit`: its primary key's version after it, and the
 * user keys it changed (entries that differ from `before`, the state before it ran).
 */
export function onCommitInfo(t: Txn, guard: WriteGuard, before: ReadonlyMap<KeyString, Entry>): OnCommitCall {
  const version = guard.primary === undefined ? undefined : liveVersion(t.entry(guard.primary), t.nowMs);
  const changed: { key: Buffer; version: number }[] = [];
  for (const [k, e] of t.ownWrites()) {
    if (!isInternalKey(k) && before.get(k) !== e) changed.push({ key: userKeyBytes(k), version: e.version });
  }
  return { onCommit: guard.onCommit as (info: TypesWriteInfo) => void, info: { version, changed } };
}

/**
 * The namespaces of a transaction handle (or of a snapshot, read-only), created on first use; see the module
 * comment. The transaction (or snapshot) supplies the abstract members.
 */
export abstract class TxTypes {
  private runner: OpRunner | undefined;
  private spaces:
    | {
        strings: Strings;
        hashes: Hashes;
        lists: Lists;
        sets: Sets;
        zsets: SortedSets;
        keys: Keys;
        json: JsonPaths;
      }
    | undefined;

  constructor(private readonly limits: Pick<ResolvedOptions, "keyBytesMax" | "valueBytesMax">) {}

  /** @internal A data-type write inside the transaction. */
  abstract typedWrite<T>(fn: (t: Txn) => T, guard: WriteGuard | undefined): Promise<T>;
  /** @internal A read-only data-type call inside the transaction. */
  abstract typedRead<T>(fn: (t: Txn) => T): Promise<T>;
  /** @internal Throws InvalidArgumentError once the attempt has ended. */
  abstract assertOpen(): void;
  /** The document under `key` (see the transaction). */
  abstract get(key: KeyInput): Promise<Versioned | undefined>;
  /** Buffers document mutations (see the transaction). */
  abstract batch(mutations: readonly Mutation[]): Promise<BatchResult>;

  /** Strings (as `db.strings`), inside this transaction. */
  get strings(): Strings {
    return this.namespaces().strings;
  }

  /** Hashes (as `db.hashes`), inside this transaction. */
  get hashes(): Hashes {
    return this.namespaces().hashes;
  }

  /** Lists (as `db.lists`; the blocking pops do not block), inside this transaction. */
  get lists(): Lists {
    return this.namespaces().lists;
  }

  /** Sets (as `db.sets`), inside this transaction. */
  get sets(): Sets {
    return this.namespaces().sets;
  }

  /** Sorted sets (as `db.zsets`), inside this transaction. */
  get zsets(): SortedSets {
    return this.namespaces().zsets;
  }

  /** Generic key operations (as `db.keys`), inside this transaction. */
  get keys(): Keys {
    return this.namespaces().keys;
  }

  /**
   * Path reads and writes inside documents (as `db.json`), inside this transaction; a write's `lsn` is 0
   * (the record's LSN is known at commit only).
   */
  get json(): JsonPaths {
    return this.namespaces().json;
  }

  /** @internal The runner the namespaces run on. */
  get typesRunner(): OpRunner {
    this.runner ??= this.makeRunner();
    return this.runner;
  }

  private makeRunner(): OpRunner {
    const keyBytesMax = this.limits.keyBytesMax;
    return {
      // No check of the attempt here: some operations convert keys inside themselves (src/types/zset-txn.ts),
      // and run again at commit; typedWrite and typedRead check it.
      key: (key: unknown): KeyString => toKeyString(key, keyBytesMax),
      bytes: (v: unknown, what: string): string => {
        if (typeof v !== "string" && !(v instanceof Uint8Array)) {
          throw new InvalidArgumentError("FUSEDB_INVALID_ARGUMENT", `${what} must be a string or Uint8Array`);
        }
        return binaryOf(v);
      },
      guard: (options: TypesWriteOptions | undefined, primary: KeyString | undefined) =>
        writeGuard(options, primary, (k) => toKeyString(k, keyBytesMax)),
      write: <T>(fn: (tx: Txn) => T, guard?: WriteGuard) => this.typedWrite(fn, guard),
      read: <T>(fn: (tx: Txn) => T) => this.typedRead(fn),
      seeds: new SeedSequence(),
    };
  }

  private namespaces() {
    if (this.spaces !== undefined) return this.spaces;
    const run = this.typesRunner;
    const waiters = {
      blocked: 0,
      wait: async <T>(req: BlockingPop<T>): Promise<Served<T> | undefined> => {
        if (req.signal?.aborted) return undefined;
        const all = req.keys.map((_, i) => i);
        const got = await this.typedWrite((t) => popFirst(t, req, all), undefined);
        return got === undefined ? undefined : { index: got.index, value: got.value };
      },
    };
    this.spaces = {
      strings: new Strings(run),
      hashes: new Hashes(run),
      lists: new Lists(run, waiters),
      sets: new Sets(run),
      zsets: new SortedSets(run),
      keys: new Keys(run),
      json: new JsonPaths({
        get: (k) => this.get(k),
        batch: (m) => this.batch(m),
        valueBytesMax: this.limits.valueBytesMax,
      }),
    };
    return this.spaces;
  }
}
