/**
 * The campaign's subscription check (issue 6): each epoch subscribes to a prefix (with a small queue, so
 * slow subscribers do get evicted) and to one hot key, and at the epoch's end checks that every watch saw a
 * prefix of the model's changes of matching keys since it subscribed (exactly once, in commit order, with
 * the model's versions, values and expiries), and unless evicted, at least every change of every
 * acknowledged call.
 */
import type { FuseDB } from "../src/db.js";
import type { ChangeEvent, Subscription } from "../src/reactive/subscriptions.js";
import type { Prng } from "./disk/prng.js";
import { describeError, errorCode } from "./disk/sim-error.js";
import type { TraceHash } from "./disk/trace-hash.js";
import type { ModelJson } from "./model.js";
import { canonical } from "./model.js";
import type { Oracle } from "./oracle.js";
import { Workload } from "./workload.js";

/** One subscription watched through an epoch. */
interface Watch {
  sub: Subscription;
  label: string;
  matches: (key: string) => boolean;
  /** Model position when it subscribed: it must see changes after it. */
  startPos: number;
  events: ChangeEvent[];
  evicted: boolean;
  error: string | undefined;
}

/** One change of the model a watch should see. */
interface ExpectedChange {
  pos: number;
  key: string;
  version: number;
  value: ModelJson | undefined;
  exp?: number;
  /** A collection's type: its events carry no value (the collection is not sent), but the type. */
  type?: string;
}

/** The watches of the current epoch; see the module comment. */
export class SubscriptionCheck {
  /** Subscribers evicted as slow (FUSEDB_SLOW_SUBSCRIBER), over the whole campaign. */
  evictions = 0;
  /** Subscription events delivered and checked, over the whole campaign. */
  events = 0;
  private watches: Watch[] = [];

  /** @param prng draws each epoch's queue bound (the campaign's `subscriptions` stream) */
  constructor(
    private readonly oracle: Oracle,
    private readonly trace: TraceHash,
    private readonly prng: Prng,
  ) {}

  /** Subscribes to a prefix (small queue: evictions happen) and to one hot key, from the model's last position. */
  watch(db: FuseDB): void {
    const startPos = this.oracle.model.lastPos;
    const prefix = "k00";
    const key = Workload.keyName(0);
    const queueMax = this.prng.pick([2, 8, 64, 1024]);
    this.watches = [
      this.consume(
        db.subscribe({ prefix }, { queueMax }),
        `prefix ${prefix}`,
        (k) => k.startsWith(prefix),
        startPos,
      ),
      this.consume(db.subscribe(key), `key ${key}`, (k) => k === key, startPos),
    ];
  }

  /**
   * Checks every watch of the epoch (see the module comment), then drops them. `ended`: the engine closed
   * cleanly, so a watch not evicted must have seen every change.
   */
  check(what: string, ended = false): void {
    for (const w of this.watches) {
      if (w.error !== undefined)
        this.oracle.violations.push(`${what}: subscription ${w.label} failed: ${w.error}`);
      const expected = this.expectedChanges(w);
      this.events += w.events.length;
      this.checkWatch(w, expected, what, ended);
      void w.sub.return();
    }
    this.watches = [];
  }

  private consume(
    sub: Subscription,
    label: string,
    matches: (key: string) => boolean,
    startPos: number,
  ): Watch {
    const w: Watch = { sub, label, matches, startPos, events: [], evicted: false, error: undefined };
    const loop = async (): Promise<void> => {
      for await (const e of sub) w.events.push(e);
    };
    loop().then(
      () => undefined,
      (err: unknown) => {
        if (errorCode(err) === "FUSEDB_SLOW_SUBSCRIBER") {
          w.evicted = true;
          this.evictions++;
          this.trace.update(`evicted ${label}`);
        } else w.error = describeError(err);
      },
    );
    return w;
  }

  /** The model's changes of keys `w` matches, after it subscribed, in commit order. */
  private expectedChanges(w: Watch): ExpectedChange[] {
    const model = this.oracle.model;
    const expected: ExpectedChange[] = [];
    for (let pos = w.startPos + 1; pos <= model.lastPos; pos++) {
      for (const c of model.changesAt(pos)) {
        if (!w.matches(c.key)) continue;
        expected.push({
          pos,
          key: c.key,
          version: c.state.version,
          value: c.state.value,
          exp: c.state.expiresAtMs,
          type: c.state.type,
        });
      }
    }
    return expected;
  }

  private checkWatch(w: Watch, expected: ExpectedChange[], what: string, ended: boolean): void {
    const violations = this.oracle.violations;
    const n = Math.min(w.events.length, expected.length);
    if (w.events.length > expected.length) {
      violations.push(
        `${what}: subscription ${w.label} got ${w.events.length} events, model has ${expected.length} changes`,
      );
    }
    for (let i = 0; i < n; i++) {
      const e = w.events[i] as ChangeEvent;
      const x = expected[i] as ExpectedChange;
      if (!sameChange(e, x)) {
        violations.push(
          `${what}: subscription ${w.label} event ${i} is ${e.key} v${e.version} ${canonical(e.value as ModelJson | undefined)}, ` +
            `model change at ${x.pos}: ${x.key} v${x.version} ${canonical(x.value)}`,
        );
        break;
      }
    }
    if (!w.evicted) {
      const acked = this.oracle.ackedMax;
      const required = expected.filter((x) => x.pos <= acked).length;
      if (w.events.length < required) {
        violations.push(
          `${what}: subscription ${w.label} got ${w.events.length} events, but acknowledged calls made ${required}`,
        );
      }
    }
    if (ended && !w.evicted && w.events.length !== expected.length) {
      violations.push(
        `${what}: subscription ${w.label} ended with ${w.events.length} of ${expected.length} changes`,
      );
    }
  }
}

/**
 * Whether event `e` is the model's change `x`: key, version, kind, value and expiry; for a collection, its
 * type instead of its value.
 */
function sameChange(e: ChangeEvent, x: ExpectedChange): boolean {
  if (e.key !== x.key) return false;
  if (e.version !== x.version) return false;
  if (e.kind !== (x.value === undefined ? "delete" : "put")) return false;
  if (x.type !== undefined && x.value !== undefined) {
    if (e.type !== x.type || e.value !== undefined) return false;
  } else if (canonical(e.value as ModelJson | undefined) !== canonical(x.value)) return false;
  return e.expiresAtMs === x.exp;
}
