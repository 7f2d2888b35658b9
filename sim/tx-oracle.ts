/**
 * The oracle's checks of transactions and snapshots (issue 16 "Proven like the rest", checks b and d), on
 * top of sim/oracle.ts, which judges a committed transaction like any other call (one position in the
 * commit order: its writes all present or all absent after a crash, check a).
 *
 * Each transaction attempt and each `db.snapshot()` is an {@link Attempt}: its snapshot is the state after
 * some position s of the commit order, with s between the last position acknowledged when it began (every
 * acknowledged call is visible) and the last position issued then (nothing issued later can be in it). Each
 * read it makes (not of a key it wrote itself) narrows the positions s can be: the version, value and expiry
 * it saw (expiry judged at the snapshot's clock time), or absence. Checks:
 * - (d) some s fits every read: the reads saw one consistent snapshot, none of them a later write;
 * - (b) a committed attempt at position c: some fitting s < c leaves every key it wrote unchanged in
 *   (s, c) (no lost update: first committer wins), and under 'serializable' every key it read and every key
 *   in a range it scanned too (it behaves as if it ran alone at c: no write skew, no phantom). A read-only
 *   serializable attempt is checked at the position after the last one issued when it committed;
 * - and over each epoch's history, Adya's serialization graph (sim/tx-history-check.ts): no lost update
 *   between committed transactions, no cycle among the serializable ones and the other calls.
 * Positions held from before move down when the oracle retracts a call (conflicts are retractions). An
 * attempt begun before a crash is not judged, and its commit is not registered.
 */
import { mark } from "../src/util/coverage.js";
import type { ModelJson, ModelState } from "./model.js";
import { canonical, liveAt } from "./model.js";
import type { Oracle } from "./oracle.js";
import { checkHistory, type InstalledVersions, type TxRecord } from "./tx-history-check.js";

/** One snapshot's reads and a transaction attempt's footprint; see the module comment. */
export interface Attempt {
  what: string;
  /** Lowest and highest position the snapshot can be (as of `retracted`). */
  lo: number;
  hi: number;
  /** Length of the oracle's retraction log when `hi` was taken. */
  retracted: number;
  /** The snapshot's clock time (expiry is judged at it). */
  atMs: number;
  /** Crashes before it began: an attempt cut by a crash is not judged. */
  epoch: number;
  /** What the reads saw, as conditions on the state of a key at s. */
  reads: { key: string; fits: (s: ModelState) => boolean; saw: string }[];
  /** Versions read (present documents, keys not written by the attempt first): the history's reads. */
  versions: Map<string, number>;
  /** Keys read (get, transfer) and keys of the universe inside the scanned ranges. */
  readKeys: Set<string>;
  /** Keys written by the attempt so far (rolled back or not): reads of them are its own. */
  touched: Set<string>;
}

/** A document as the engine answered a read. */
export interface SeenDoc {
  value: unknown;
  version: number;
  expiresAtMs?: number;
}

/** Checks transactions and snapshots; see the module comment. */
export class TxOracle {
  /** Committed attempts of this epoch with their isolation, for the history check. */
  private history: { rec: TxRecord; isolation: "snapshot" | "serializable" }[] = [];
  /** Positions of this epoch's committed transactions → their history ids. */
  private readonly txAt = new Map<number, string>();
  epoch = 0;
  checkedCommits = 0;

  constructor(private readonly oracle: Oracle) {}

  /**
   * An attempt (or snapshot) begins now, its clock at `atMs`, for a call issued in epoch `epoch` (a retry
   * on a handle that outlived a crash belongs to its call's epoch).
   */
  begin(what: string, atMs: number, epoch = this.epoch): Attempt {
    return {
      what,
      lo: this.oracle.readStart("").floorPos,
      hi: this.oracle.model.lastPos,
      retracted: this.oracle.retractedLog.length,
      atMs,
      epoch,
      reads: [],
      versions: new Map(),
      readKeys: new Set(),
      touched: new Set(),
    };
  }

  /** `a` read `key` and saw `doc` (undefined: absent; `scanned`: a scan, where a collection counts as absent). */
  sawDoc(a: Attempt, key: string, doc: SeenDoc | undefined, scanned = false): void {
    a.readKeys.add(key);
    if (a.touched.has(key)) return;
    if (doc === undefined) {
      a.reads.push({
        key,
        fits: (s) => !liveAt(s, a.atMs) || (scanned && s.type !== undefined),
        saw: "absent",
      });
      return;
    }
    const text = canonical(doc.value as ModelJson);
    a.reads.push({
      key,
      fits: (s) =>
        s.version === doc.version &&
        s.type === undefined &&
        canonical(s.value) === text &&
        s.expiresAtMs === doc.expiresAtMs &&
        liveAt(s, a.atMs),
      saw: `v${doc.version} ${text}`,
    });
    if (!a.versions.has(key)) a.versions.set(key, doc.version);
  }

  /** `a` read `key` and was told it holds a collection (FUSEDB_WRONG_TYPE). */
  sawCollection(a: Attempt, key: string): void {
    a.readKeys.add(key);
    if (a.touched.has(key)) return;
    a.reads.push({ key, fits: (s) => liveAt(s, a.atMs) && s.type !== undefined, saw: "a collection" });
  }

  /**
   * A refused write of `a` says what `key` held on its snapshot (a key it has not written): a live
   * collection (FUSEDB_WRONG_TYPE) or no live value (an expire's FUSEDB_NOT_FOUND). Not a read: not in the
   * keys a serializable commit is checked on.
   */
  constrain(a: Attempt, key: string, held: "collection" | "absent"): void {
    if (a.touched.has(key)) return;
    const fits =
      held === "collection"
        ? (s: ModelState) => liveAt(s, a.atMs) && s.type !== undefined
        : (s: ModelState) => !liveAt(s, a.atMs);
    a.reads.push({ key, fits, saw: held });
  }

  /** The positions the snapshot of `a` can be, now. */
  private fitting(a: Attempt): number[] {
    let hi = a.hi;
    for (const r of this.oracle.retractedLog.slice(a.retracted)) if (r <= hi) hi--;
    a.hi = hi;
    a.retracted = this.oracle.retractedLog.length;
    const model = this.oracle.model;
    const out: number[] = [];
    for (let s = a.lo; s <= hi; s++) {
      if (a.reads.every((r) => r.fits(model.stateAt(r.key, s)))) out.push(s);
    }
    return out;
  }

  /** Check (d): the reads of `a` fit one snapshot. Returns false (reporting it) if none. */
  checkReads(a: Attempt): boolean {
    if (a.epoch !== this.epoch || a.reads.length === 0) return true;
    mark("txsim.snapshot-reads-checked");
    if (this.fitting(a).length > 0) return true;
    const model = this.oracle.model;
    const detail = a.reads
      .slice(0, 6)
      .map(
        (r) =>
          `${r.key} saw ${r.saw} (model v${model.stateAt(r.key, a.lo).version}..v${model.stateAt(r.key, a.hi).version})`,
      )
      .join("; ");
    this.oracle.report(
      `${a.what}: its reads fit no single snapshot in positions [${a.lo}, ${a.hi}]: ${detail}`,
    );
    return false;
  }

  /**
   * Check (b): `a` committed at position `c` (for a read-only attempt: the position after the last issued
   * when it committed), having written `writes`. `record`: its history id (undefined: no record written).
   */
  committed(
    a: Attempt,
    c: number,
    writes: ReadonlySet<string>,
    isolation: "snapshot" | "serializable",
    id: string | undefined,
  ): void {
    if (a.epoch !== this.epoch) return;
    const keys = new Set(writes);
    if (isolation === "serializable") for (const k of a.readKeys) keys.add(k);
    const model = this.oracle.model;
    const ok = this.fitting(a).some((s) => s < c && [...keys].every((k) => model.nextChangeAfter(k, s) >= c));
    this.checkedCommits++;
    mark(`txsim.commit-checked.${isolation}`);
    if (!ok) {
      const moved = [...keys]
        .filter((k) => model.nextChangeAfter(k, a.lo) < c)
        .map((k) => `${k} changed at ${model.nextChangeAfter(k, a.lo)}`);
      this.oracle.report(
        `${a.what}: committed at ${c} (${isolation}), but no snapshot in [${a.lo}, ${a.hi}] fitting its reads ` +
          `saw ${[...keys].join(",")} unchanged up to it (${isolation === "snapshot" ? "lost update" : "not serializable"}): ${moved.join("; ")}`,
      );
    }
    if (id !== undefined) this.txAt.set(c, id);
    const rec: TxRecord = {
      id: id ?? `r${c}-${a.what}`,
      attempt: 1,
      reads: a.versions,
      writes: new Set(writes),
    };
    this.history.push({ rec, isolation });
  }

  /**
   * The epoch ends (crash, restart or the end): checks its history with Adya's graph over the positions
   * the oracle still holds (a crash may have lost some: their transactions leave the history), then starts
   * a new one.
   */
  epochEnded(keys: readonly string[]): void {
    const model = this.oracle.model;
    const last = model.lastPos;
    // A crash may have lost positions (mode 'relaxed': even ones read): their readers and writers go.
    const kept = this.history.filter(
      ({ rec }) =>
        (!this.isTx(rec.id) || this.positionOf(rec.id) <= last) &&
        [...rec.reads].every(([k, v]) => model.posOfVersion(k, v) !== undefined),
    );
    if (kept.length > 0) {
      mark("txsim.history-checked");
      const writerAt = (pos: number): string => this.txAt.get(pos) ?? `p${pos}`;
      const installed: InstalledVersions = {
        keys: () => keys,
        versions: (key) => model.historyOf(key).map((h) => h.version),
        writer: (key, version) => {
          const h = model.historyOf(key).find((x) => x.version === version);
          return h === undefined ? undefined : { w: writerAt(h.pos), a: 1 };
        },
      };
      const records = kept.map((k) => k.rec);
      const outside = (w: string): boolean => !this.isTx(w);
      // Lost updates among all; cycles among the serializable ones and the calls outside transactions.
      for (const v of checkHistory(records, installed, "snapshot", outside))
        this.oracle.report(`history: ${v}`);
      const ser = new Set(kept.filter((k) => k.isolation === "serializable").map((k) => k.rec.id));
      const serRecords = records.filter((r) => ser.has(r.id));
      const serInstalled: InstalledVersions = {
        ...installed,
        writer: (key, version) => {
          const w = installed.writer(key, version);
          // Writes of snapshot-isolation transactions stay in the version order, by anonymous writers.
          return w !== undefined && this.isTx(w.w) && !ser.has(w.w) ? { w: `si:${key}/${version}`, a: 1 } : w;
        },
      };
      for (const v of checkHistory(serRecords, serInstalled, "serializable", outside)) {
        if (v.startsWith("dependency cycle")) this.oracle.report(`history: ${v}`);
      }
    }
    this.history = [];
    this.txAt.clear();
  }

  /**
   * The power failed (or the process restarts): attempts and snapshots begun before are no longer judged
   * (their handle's reads may go on from memory, their commits never land), and none of them registers a
   * commit.
   */
  crashed(): void {
    this.epoch++;
  }

  /** Whether `a` began before the last crash. */
  stale(a: Attempt): boolean {
    return a.epoch !== this.epoch;
  }

  private isTx(id: string): boolean {
    return id.startsWith("t");
  }

  private positionOf(id: string): number {
    for (const [pos, tid] of this.txAt) if (tid === id) return pos;
    return Number.POSITIVE_INFINITY;
  }
}
