/**
 * How the oracle (sim/oracle.ts) judges data-type calls (issue 14), as it judges documents:
 * - A write is registered in commit order when issued (sim/typed-model.ts resolves it on the model); an
 *   acknowledged write must carry exactly the model's answer, a rejected one the model's error (or a
 *   non-semantic one: poison, crash, I/O). Writes that change nothing take no position.
 * - A random choice (SPOP) is resolved first with a guess; the engine's answer replaces it (checked to be a
 *   possible choice: distinct members, present, as many as the count allows) and every later call is
 *   resolved again. The campaign issues such a call alone, so nothing later was judged on the guess. If it
 *   is never acknowledged (a crash, a poison), a recovered state that holds it shows its choice.
 * - Every answer checked (an acknowledgement or a read's answer) marks `typed.<command>` (src/util/coverage.ts):
 *   CI requires each command of TYPED_MIX answered at least once (sim/required-marks.ts).
 * - A read (HGETALL, SMEMBERS, ...) answers without a version: it must equal the model's answer at some
 *   position of its window (every call acknowledged before it started, none issued after it ended) at its
 *   start or end time; the first such position is then observed (a crash can no longer take it back).
 */
import { mark } from "../src/util/coverage.js";
import type { CallOutcome, ModelJson, ModelState } from "./model.js";
import { canonical } from "./model.js";
import type { CallTicket, Oracle, ReadTicket } from "./oracle.js";
import { readAt, resolveTyped } from "./typed-model.js";
import { type TypedCall, typedSpec } from "./typed-ops.js";

/** Registers data-type write `call`, made at virtual time `nowMs`, as the next call in commit order. */
export function issueTyped(oracle: Oracle, call: TypedCall, nowMs: number): CallTicket {
  const model = oracle.model;
  const resolve = (): CallOutcome => resolveTyped(model, call, nowMs);
  if (!typedSpec(call.cmd).choice) return oracle.register(resolve);
  let ticket: CallTicket | undefined;
  const settleFrom = (state: ReadonlyMap<string, ModelState>): (() => CallOutcome) | undefined => {
    const popped = choiceShown(oracle, call, ticket as CallTicket, state);
    if (popped === undefined) return undefined;
    mark("oracle.choice-recovered");
    return () => resolveTyped(model, call, nowMs, popped);
  };
  ticket = oracle.register(resolve, settleFrom);
  return ticket;
}

/**
 * The members an unacknowledged SPOP popped, as the recovered `state` shows them: its key recovered at
 * exactly the version the SPOP gave it, holding a subset of the members before it. Undefined when the
 * state does not show it, or shows the guess already made.
 */
function choiceShown(
  oracle: Oracle,
  call: TypedCall,
  ticket: CallTicket,
  state: ReadonlyMap<string, ModelState>,
): string[] | undefined {
  const o = ticket.outcome;
  const key = call.keys[0] as string;
  if (!o.ok || o.noop) return undefined;
  const change = o.changes.find((c) => c.key === key);
  const got = state.get(key);
  if (change === undefined || got === undefined || got.version !== change.state.version) return undefined;
  const before = oracle.model.stateAt(key, o.pos - 1);
  if (before.type !== "set") return undefined;
  const kept = new Set(got.type === "set" ? (got.value as string[]) : []);
  const members = before.value as string[];
  if ([...kept].some((m) => !members.includes(m))) return undefined;
  const popped = members.filter((m) => !kept.has(m));
  return canonical(popped) === canonical(o.answer) ? undefined : popped;
}

/** The engine acknowledged data-type write `ticket` (`call`, made at `nowMs`) with `answer`. */
export function typedAcked(
  oracle: Oracle,
  ticket: CallTicket,
  call: TypedCall,
  nowMs: number,
  answer: ModelJson,
  what: string,
): void {
  mark(`typed.${call.cmd}`);
  const o = ticket.outcome;
  if (typedSpec(call.cmd).choice && o.ok && canonical(answer) !== canonical(o.answer)) {
    mark("oracle.choice-replayed");
    oracle.rechoose(ticket, () => resolveTyped(oracle.model, call, nowMs, answer), what);
  }
  if (!oracle.noteAcked(ticket, what)) return;
  const expected = ticket.outcome.answer;
  if (canonical(answer) !== canonical(expected)) {
    oracle.report(`${what}: answered ${canonical(answer)}, model ${canonical(expected)}`);
  }
}

/**
 * Data-type read `call`, started as `t`, answered at `endMs` with `answer` (or refused with error `code`):
 * see the module comment.
 */
export function typedReadDone(
  oracle: Oracle,
  t: ReadTicket,
  call: TypedCall,
  got: { answer: ModelJson } | { code: string },
  what: string,
  endMs: number,
): void {
  mark(`typed.${call.cmd}`);
  const want = "code" in got ? `error ${got.code}` : canonical(got.answer);
  const seen: string[] = [];
  for (const pos of allowedPositions(oracle, t, call.keys)) {
    for (const nowMs of t.startMs === endMs ? [endMs] : [t.startMs, endMs]) {
      const r = readAt(oracle.model, call, pos, nowMs);
      const text = "code" in r ? `error ${r.code}` : canonical(r.answer);
      if (text === want) {
        oracle.noteObserved(pos);
        return;
      }
      if (seen.length < 4) seen.push(`@${pos}: ${text.slice(0, 120)}`);
    }
  }
  oracle.noteObserved(0);
  oracle.report(`${what}: answered ${want.slice(0, 200)}, but the model allows only ${seen.join("; ")}`);
}

/**
 * The positions a read of `keys` started as `t` may have seen, one per distinct state of those keys: from
 * `t.floorPos` to the model's last position, each first position after a change of one of them.
 */
function allowedPositions(oracle: Oracle, t: ReadTicket, keys: readonly string[]): number[] {
  const model = oracle.model;
  const out: number[] = [];
  // Bounded by the keys' changes in the window.
  for (let p = t.floorPos; p <= model.lastPos; ) {
    out.push(p);
    p = Math.min(...keys.map((k) => model.nextChangeAfter(k, p)));
  }
  return out;
}
