/**
 * lmdb-js in its durable configuration: `overlappingSync: false` and `noSync: false`, so the promise of a
 * write resolves only after its transaction is committed and flushed (LMDB fsyncs data and meta page).
 * Writes issued in one event turn share a transaction (lmdb-js `eventTurnBatching`, its group commit).
 */
import { open, type RootDatabase } from "lmdb";
import type { Json } from "../../src/index.js";
import type { Engine } from "./engine.js";
import { chunks, counterValue, LOAD_CHUNK, withField } from "./engine.js";
import { packageVersion } from "./versions.js";

export function openLmdb(dir: string): Engine {
  const db = open<string, string>({
    path: dir,
    encoding: "string",
    overlappingSync: false,
    noSync: false,
    noMetaSync: false,
    compression: false,
  });
  return new LmdbEngine(db);
}

class LmdbEngine implements Engine {
  readonly name = "lmdb" as const;
  readonly settings =
    `lmdb ${packageVersion("lmdb")}: overlappingSync false, noSync false, noMetaSync false (a write resolves after its transaction is committed and fsynced); eventTurnBatching on (writes of one event turn share a transaction); values as JSON text`;
  readonly rmw =
    "db.transaction(): get and put inside one asynchronous write transaction, serialized by LMDB's single writer, resolved after the synced commit";
  constructor(private readonly db: RootDatabase<string, string>) {}

  async get(key: string): Promise<Json | undefined> {
    const text = this.db.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as Json);
  }

  async set(key: string, value: Json): Promise<void> {
    await this.db.put(key, JSON.stringify(value));
  }

  incr(key: string, delta: number): Promise<number> {
    return this.db.transaction(() => {
      const text = this.db.get(key);
      const next = counterValue(text === undefined ? undefined : (JSON.parse(text) as Json)) + delta;
      this.db.putSync(key, JSON.stringify(next));
      return next;
    });
  }

  async readModifyWrite(key: string, field: string, fieldValue: string): Promise<void> {
    await this.db.transaction(() => {
      const text = this.db.get(key);
      const record = text === undefined ? undefined : (JSON.parse(text) as Json);
      this.db.putSync(key, JSON.stringify(withField(record, field, fieldValue)));
    });
  }

  async load(entries: readonly [string, Json][]): Promise<void> {
    for (const chunk of chunks(entries, LOAD_CHUNK)) {
      await this.db.transaction(() => {
        for (const [key, value] of chunk) this.db.putSync(key, JSON.stringify(value));
      });
    }
  }

  backgroundIdle(): boolean {
    return true;
  }

  recovery(): undefined {
    return undefined;
  }

  counters(): Record<string, number> {
    return {};
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
