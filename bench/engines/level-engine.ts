/**
 * classic-level (LevelDB) with `sync: true` on every write: LevelDB fsyncs its log before the write
 * returns; concurrent writers are grouped by LevelDB's writer queue (its group commit). LevelDB has no
 * transactions, so read-modify-write is get then put under a per-key lock in this process.
 */
import { ClassicLevel } from "classic-level";
import type { Json } from "../../src/index.js";
import type { Engine } from "./engine.js";
import { chunks, counterValue, LOAD_CHUNK, withField } from "./engine.js";
import { KeyLock } from "./key-lock.js";
import { packageVersion } from "./versions.js";

const SYNC = { sync: true } as const;

export async function openLevel(dir: string): Promise<Engine> {
  const db = new ClassicLevel<string, string>(dir, { keyEncoding: "utf8", valueEncoding: "utf8" });
  await db.open();
  return new LevelEngine(db);
}

class LevelEngine implements Engine {
  readonly name = "level" as const;
  readonly settings =
    `classic-level ${packageVersion("classic-level")} (LevelDB): every put and batch with {sync: true} (log fsynced before the write resolves); default options otherwise (4 MiB write buffer, Snappy on); values as JSON text`;
  readonly rmw =
    "get then put {sync: true} under a per-key in-process lock (LevelDB has no transactions), so same-key RMWs are serialized and others run concurrently";
  private readonly lock = new KeyLock();

  constructor(private readonly db: ClassicLevel<string, string>) {}

  async get(key: string): Promise<Json | undefined> {
    const text = await this.db.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as Json);
  }

  async set(key: string, value: Json): Promise<void> {
    await this.db.put(key, JSON.stringify(value), SYNC);
  }

  incr(key: string, delta: number): Promise<number> {
    return this.lock.run(key, async () => {
      const next = counterValue(await this.get(key)) + delta;
      await this.db.put(key, JSON.stringify(next), SYNC);
      return next;
    });
  }

  readModifyWrite(key: string, field: string, fieldValue: string): Promise<void> {
    return this.lock.run(key, async () => {
      const record = await this.get(key);
      await this.db.put(key, JSON.stringify(withField(record, field, fieldValue)), SYNC);
    });
  }

  async load(entries: readonly [string, Json][]): Promise<void> {
    for (const chunk of chunks(entries, LOAD_CHUNK)) {
      await this.db.batch(
        chunk.map(([key, value]) => ({ type: "put" as const, key, value: JSON.stringify(value) })),
        SYNC,
      );
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
