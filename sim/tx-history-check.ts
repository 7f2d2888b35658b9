/**
 * Adya's direct serialization graph over a recorded history of committed transactions (A. Adya, "Weak
 * Consistency: A Generalized Theory and Optimistic Implementations for Distributed Transactions", MIT 1999;
 * Elle's cycle rules, Kingsbury and Alvaro, VLDB 2020). Nodes are committed transactions (and, in campaigns,
 * every other committed call, as a one-write transaction); edges:
 * - ww: a transaction installed the version of a key that directly follows one another installed;
 * - wr: a transaction read a version another installed;
 * - rw (anti-dependency): a transaction read a version another transaction overwrote next.
 * 'serializable' forbids every cycle (G1 and G2 alike); 'snapshot' forbids lost updates (two committed
 * transactions read one version of a key and both wrote that key: the G2-item cycle SI forbids). Every read
 * must have seen a version some committed transaction installed, and every installed version must be a
 * committed attempt's.
 *
 * Used by test/tx-history.test.ts (its own small histories) and by the simulator's campaigns with
 * transactions (sim/tx-oracle.ts).
 */

/** One committed transaction: the version of each key it read first (never its own write), the keys it wrote. */
export interface TxRecord {
  id: string;
  attempt: number;
  reads: Map<string, number>;
  writes: Set<string>;
}

/** The installed versions, as the history's source of truth (the engine's commit order) tells them. */
export interface InstalledVersions {
  /** Every key with installed versions. */
  keys(): Iterable<string>;
  /** The installed versions of `key`, ascending. */
  versions(key: string): readonly number[];
  /** Who installed `version` of `key` (transaction id), with its attempt; undefined if nobody did. */
  writer(key: string, version: number): { w: string; a: number } | undefined;
}

/** Installed versions as a map `key/version` → writer (the shape test/tx-history.test.ts collects). */
export function installedFromMap(map: ReadonlyMap<string, { w: string; a: number }>): InstalledVersions {
  const byKey = new Map<string, number[]>();
  for (const kv of map.keys()) {
    const at = kv.lastIndexOf("/");
    const key = kv.slice(0, at);
    const list = byKey.get(key) ?? [];
    list.push(Number(kv.slice(at + 1)));
    byKey.set(key, list);
  }
  for (const list of byKey.values()) list.sort((a, b) => a - b);
  return {
    keys: () => byKey.keys(),
    versions: (key) => byKey.get(key) ?? [],
    writer: (key, version) => map.get(`${key}/${version}`),
  };
}

/**
 * The history's violations (empty: it passes `isolation`'s rules); see the module comment. `initial`: the
 * id of the writer of the initial versions, or a test of the writers outside the recorded transactions
 * (their versions are not checked against a committed attempt). Bounded by the history's
 * size: every edge is added once, the cycle search visits each node once.
 */
export function checkHistory(
  committed: readonly TxRecord[],
  installed: InstalledVersions,
  isolation: "snapshot" | "serializable",
  initial: string | ((writer: string) => boolean),
): string[] {
  const out: string[] = [];
  const outside = typeof initial === "string" ? (w: string) => w === initial : initial;
  const byId = new Map(committed.map((t) => [t.id, t]));
  for (const key of installed.keys()) {
    for (const v of installed.versions(key)) {
      const by = installed.writer(key, v);
      if (by !== undefined && !outside(by.w) && byId.get(by.w)?.attempt !== by.a)
        out.push(`${key}/${v} installed by ${by.w}#${by.a}, not its committed attempt`);
    }
  }
  const edges = new Map<string, Set<string>>();
  const edge = (from: string | undefined, to: string | undefined, why: string): void => {
    if (from === undefined || to === undefined || from === to) return;
    let set = edges.get(from);
    if (set === undefined) {
      set = new Set();
      edges.set(from, set);
    }
    set.add(`${to}|${why}`);
  };
  const nextVersion = new Map<string, number>();
  for (const key of installed.keys()) {
    const vs = installed.versions(key);
    for (let i = 0; i + 1 < vs.length; i++) {
      edge(
        installed.writer(key, vs[i] as number)?.w,
        installed.writer(key, vs[i + 1] as number)?.w,
        `ww ${key}`,
      );
      nextVersion.set(`${key}/${vs[i]}`, vs[i + 1] as number);
    }
  }
  /** Readers of each key/version that also wrote the key (for the lost-update rule). */
  const readWriters = new Map<string, string[]>();
  for (const t of committed) {
    for (const [key, v] of t.reads) {
      const w = installed.writer(key, v)?.w;
      if (w === undefined) {
        out.push(`${t.id} read ${key} version ${v}, which no committed transaction installed`);
        continue;
      }
      edge(w, t.id, `wr ${key}`);
      const next = nextVersion.get(`${key}/${v}`);
      if (next !== undefined) edge(t.id, installed.writer(key, next)?.w, `rw ${key}`);
      if (isolation === "snapshot" && t.writes.has(key)) {
        const kv = `${key}/${v}`;
        const others = readWriters.get(kv) ?? [];
        for (const u of others)
          out.push(`lost update on ${key}: ${u} and ${t.id} both read version ${v} and wrote it`);
        others.push(t.id);
        readWriters.set(kv, others);
      }
    }
  }
  if (isolation === "serializable") {
    const cycle = findCycle(edges);
    if (cycle !== undefined) out.push(`dependency cycle: ${cycle.join(" -> ")}`);
  }
  return out;
}

/** A cycle in the graph (nodes joined by "to|why" edges) as its path, or undefined if acyclic. */
export function findCycle(edges: ReadonlyMap<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  // Iterative depth-first search (histories of thousands of calls would overflow a recursive one).
  for (const root of edges.keys()) {
    if (state.get(root) !== undefined) continue;
    const stack: { node: string; it: Iterator<string> }[] = [];
    const enter = (node: string): void => {
      state.set(node, "open");
      path.push(node);
      stack.push({ node, it: (edges.get(node) ?? new Set<string>()).values() });
    };
    enter(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: string; it: Iterator<string> };
      const n = top.it.next();
      if (n.done) {
        stack.pop();
        path.pop();
        state.set(top.node, "done");
        continue;
      }
      const [to, why] = n.value.split("|") as [string, string];
      if (state.get(to) === "open") return [...path.slice(path.indexOf(to)), `${to} (${why})`];
      if (state.get(to) === undefined) enter(to);
    }
  }
  return undefined;
}
