/**
 * The workloads: YCSB A, B, C, F (Cooper et al., "Benchmarking Cloud Serving Systems with YCSB", SoCC 2010;
 * the core workload files) with YCSB's scrambled Zipf 0.99 key choice, plus counters, rate limiting and
 * sessions. Each workload preloads its records and then draws one operation at a time.
 *
 * Every engine runs the same operations, and the peers have no TTL, so rate limiting uses one key per user
 * and window (`rl:<user>:<window>`, old windows are never deleted) and sessions carry their expiry as a
 * plain `expiresAt` field; fusedb's own TTL (`ttlMs`, `expire`) is not exercised here.
 */

import { Prng } from "../sim/disk/prng.js";
import { Zipf } from "../sim/disk/zipf.js";
import type { Json } from "../src/index.js";

export const WORKLOAD_NAMES = [
  "ycsb-a",
  "ycsb-b",
  "ycsb-c",
  "ycsb-f",
  "counters",
  "ratelimit",
  "sessions",
] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** One operation, as the runner executes it on an engine. */
export type Op =
  | { kind: "get"; key: string }
  | { kind: "set"; key: string; value: Json }
  | { kind: "incr"; key: string; delta: number }
  | { kind: "rmw"; key: string; field: string; fieldValue: string; recordBytes: number };

/** Sizes and seeds of a workload. */
export interface WorkloadOptions {
  records: number;
  /** YCSB record size: 10 fields of valueBytes / 10 characters. */
  valueBytes: number;
  /** Session document size (JSON text). */
  sessionBytes: number;
  /** Rate-limit window length in ms. */
  windowMs: number;
  seed: string;
}

/** A workload ready to run: its preload and its operation stream. */
export interface Workload {
  name: WorkloadName;
  description: string;
  preload(): [string, Json][];
  /** The next operation; `elapsedMs` is the time since the phase began (rate-limit windows). */
  next(elapsedMs: number): Op;
}

/** Distinct field strings and records drawn in rotation, so no two consecutive writes carry the same bytes. */
const VALUE_POOL = 16;

function text(length: number, salt: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[(i * 7 + salt * 13) % alphabet.length];
  return out;
}

function ycsbRecords(fieldBytes: number): { [f: string]: Json }[] {
  return Array.from({ length: VALUE_POOL }, (_, salt) => {
    const record: { [f: string]: Json } = {};
    for (let f = 0; f < 10; f++) record[`field${f}`] = text(fieldBytes, salt + f);
    return record;
  });
}

function sessionDocs(bytes: number): { [f: string]: Json }[] {
  return Array.from({ length: VALUE_POOL }, (_, salt) => {
    const doc = { user: salt, expiresAt: 0, roles: ["reader"], data: "" };
    const pad = Math.max(0, bytes - JSON.stringify(doc).length - 13);
    return { ...doc, data: text(pad, salt) };
  });
}

/** YCSB key for item `i` (YCSB prefixes "user"; our items are already scrambled by the Zipf hash). */
const ycsbKey = (i: number): string => `user${i}`;

/** Builds workload `name`. */
export function makeWorkload(name: WorkloadName, o: WorkloadOptions): Workload {
  const root = new Prng(`${o.seed}/${name}`);
  const zipf = new Zipf(root.fork("keys"), o.records, 0.99, true);
  const mix = root.fork("mix");
  let n = 0;
  const fieldBytes = Math.max(1, Math.floor(o.valueBytes / 10));
  const records = ycsbRecords(fieldBytes);
  const record = (): Json => records[n++ % VALUE_POOL] as Json;
  const recordBytes = JSON.stringify(records[0]).length;
  const ycsbPreload = (): [string, Json][] =>
    Array.from({ length: o.records }, (_, i) => [ycsbKey(i), records[i % VALUE_POOL] as Json]);
  const ycsb = (readShare: number, description: string, write: "set" | "rmw"): Workload => ({
    name,
    description,
    preload: ycsbPreload,
    next: () => {
      const key = ycsbKey(zipf.next());
      if (mix.next() < readShare) return { kind: "get", key };
      if (write === "set") return { kind: "set", key, value: record() };
      return { kind: "rmw", key, field: `field${n % 10}`, fieldValue: text(fieldBytes, n++), recordBytes };
    },
  });
  switch (name) {
    case "ycsb-a":
      return ycsb(0.5, `YCSB A: 50% read, 50% update (whole ${o.valueBytes} B record)`, "set");
    case "ycsb-b":
      return ycsb(0.95, `YCSB B: 95% read, 5% update (whole ${o.valueBytes} B record)`, "set");
    case "ycsb-c":
      return ycsb(1, "YCSB C: 100% read", "set");
    case "ycsb-f":
      return ycsb(0.5, "YCSB F: 50% read, 50% read-modify-write of one field", "rmw");
    case "counters":
      return {
        name,
        description: "counters: 100% incr by 1 (integer values)",
        preload: () => Array.from({ length: o.records }, (_, i) => [`ctr:${i}`, 0]),
        next: () => ({ kind: "incr", key: `ctr:${zipf.next()}`, delta: 1 }),
      };
    case "ratelimit":
      return {
        name,
        description: `rate limiting: 100% incr of rl:<user>:<window>, ${o.windowMs} ms windows (TTL emulated by per-window keys; old windows never expire)`,
        preload: () => [],
        next: (elapsedMs) => ({
          kind: "incr",
          key: `rl:${zipf.next()}:${Math.floor(elapsedMs / o.windowMs)}`,
          delta: 1,
        }),
      };
    case "sessions": {
      const docs = sessionDocs(o.sessionBytes);
      return {
        name,
        description: `sessions: 50% get, 50% set of a ${o.sessionBytes} B JSON document (TTL emulated by an expiresAt field)`,
        preload: () =>
          Array.from({ length: o.records }, (_, i) => [`sess:${i}`, docs[i % VALUE_POOL] as Json]),
        next: (elapsedMs) => {
          const key = `sess:${zipf.next()}`;
          if (mix.next() < 0.5) return { kind: "get", key };
          const doc = docs[n++ % VALUE_POOL] as { [f: string]: Json };
          return { kind: "set", key, value: { ...doc, expiresAt: Math.round(elapsedMs) + 30 * 60_000 } };
        },
      };
    }
    default:
      throw new RangeError(`unknown workload ${name}`);
  }
}

/** Whether a workload writes at all (the disk-limit loop has nothing to show on a read-only one). */
export function writes(name: WorkloadName): boolean {
  return name !== "ycsb-c";
}
