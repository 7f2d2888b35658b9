/**
 * better-sqlite3 with `journal_mode=WAL` and `synchronous=FULL`: each commit fsyncs the WAL before it
 * returns. One transaction per operation, as an application uses it. better-sqlite3 is synchronous: an
 * operation blocks the event loop until its commit is durable, so operations never overlap, whatever the
 * number in flight, and there is no group commit across callers.
 */
import Database from "better-sqlite3";
import type { Json } from "../../src/index.js";
import type { Engine } from "./engine.js";
import { chunks, counterValue, LOAD_CHUNK, withField } from "./engine.js";
import { packageVersion } from "./versions.js";

export function openSqlite(dir: string): Engine {
  return new SqliteEngine(`${dir}/kv.sqlite`);
}

class SqliteEngine implements Engine {
  readonly name = "sqlite" as const;
  readonly settings: string;
  readonly rmw =
    "SELECT then UPSERT inside one BEGIN IMMEDIATE transaction (better-sqlite3 .immediate()); synchronous, so serialized";
  private readonly db: Database.Database;
  private readonly selectStmt: Database.Statement<[string], { v: string }>;
  private readonly upsertStmt: Database.Statement<[string, string]>;
  private readonly incrTxn: (key: string, delta: number) => number;
  private readonly rmwTxn: (key: string, field: string, fieldValue: string) => void;
  private readonly loadTxn: (chunk: readonly [string, Json][]) => void;

  constructor(path: string) {
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID");
    this.db = db;
    const version = (db.prepare("SELECT sqlite_version() AS v").get() as { v: string }).v;
    const mode = db.pragma("journal_mode", { simple: true });
    const sync = db.pragma("synchronous", { simple: true });
    this.settings = `better-sqlite3 ${packageVersion("better-sqlite3")} (SQLite ${version}): journal_mode=${String(mode)}, synchronous=${sync === 2 ? "FULL" : String(sync)} (WAL fsynced at every commit), one transaction per operation, default wal_autocheckpoint (1000 pages); values as JSON text in a WITHOUT ROWID table`;
    this.selectStmt = db.prepare("SELECT v FROM kv WHERE k = ?");
    this.upsertStmt = db.prepare(
      "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
    );
    this.incrTxn = db.transaction((key: string, delta: number) => {
      const next = counterValue(this.read(key)) + delta;
      this.upsertStmt.run(key, JSON.stringify(next));
      return next;
    }).immediate;
    this.rmwTxn = db.transaction((key: string, field: string, fieldValue: string) => {
      this.upsertStmt.run(key, JSON.stringify(withField(this.read(key), field, fieldValue)));
    }).immediate;
    this.loadTxn = db.transaction((chunk: readonly [string, Json][]) => {
      for (const [key, value] of chunk) this.upsertStmt.run(key, JSON.stringify(value));
    });
  }

  private read(key: string): Json | undefined {
    const row = this.selectStmt.get(key);
    return row === undefined ? undefined : (JSON.parse(row.v) as Json);
  }

  async get(key: string): Promise<Json | undefined> {
    return this.read(key);
  }

  async set(key: string, value: Json): Promise<void> {
    this.upsertStmt.run(key, JSON.stringify(value));
  }

  async incr(key: string, delta: number): Promise<number> {
    return this.incrTxn(key, delta);
  }

  async readModifyWrite(key: string, field: string, fieldValue: string): Promise<void> {
    this.rmwTxn(key, field, fieldValue);
  }

  async load(entries: readonly [string, Json][]): Promise<void> {
    for (const chunk of chunks(entries, LOAD_CHUNK)) this.loadTxn(chunk);
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
    this.db.close();
  }
}
