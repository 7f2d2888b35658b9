/**
 * Typed errors with stable codes. Messages may change between releases; codes do not.
 * Idea: abstract-level's `err.code` convention and TigerBeetle's "typed halt".
 */
import { mark } from "./util/coverage.js";

/** The codes of {@link InvalidArgumentError}: bad input, nothing changed. */
export type InvalidArgumentCode =
  | "FUSEDB_INVALID_ARGUMENT"
  | "FUSEDB_INVALID_JSON"
  | "FUSEDB_KEY_TOO_LARGE"
  | "FUSEDB_VALUE_TOO_LARGE"
  | "FUSEDB_TYPE_MISMATCH"
  | "FUSEDB_OUT_OF_RANGE"
  /** A path into a document that does not parse (src/doc/json-path.ts), or whose query fails. */
  | "FUSEDB_INVALID_PATH"
  /** A path that addresses nothing where the operation needs something (RedisJSON: "Path ... does not exist"). */
  | "FUSEDB_PATH_NOT_FOUND"
  | DataTypeErrorCode;

/**
 * The codes of {@link DataTypeError}: a Redis data-type operation refused its arguments or the value it met
 * (src/types/). Each has Redis 7.0's exact reply text as the error's `reply`.
 */
export type DataTypeErrorCode =
  | "FUSEDB_SYNTAX"
  | "FUSEDB_NOT_INTEGER"
  | "FUSEDB_NOT_FLOAT"
  | "FUSEDB_OVERFLOW"
  | "FUSEDB_NAN"
  | "FUSEDB_NO_SUCH_KEY"
  | "FUSEDB_INDEX_OUT_OF_RANGE"
  | "FUSEDB_OUT_OF_RANGE"
  | "FUSEDB_VALUE_TOO_LARGE"
  /** A count, rank, length or timeout that must not be negative (LPOP count, LPOS COUNT/MAXLEN, BLPOP timeout). */
  | "FUSEDB_NEGATIVE";

/** Every stable error code fusedb throws. */
export type FuseErrorCode =
  | InvalidArgumentCode
  | "FUSEDB_VERSION_CONFLICT"
  | "FUSEDB_WRONG_TYPE"
  | "FUSEDB_NOT_FOUND"
  | "FUSEDB_SLOW_SUBSCRIBER"
  | "FUSEDB_CORRUPTION"
  | "FUSEDB_POISONED"
  | "FUSEDB_CLOSED"
  | "FUSEDB_LOCKED"
  | "FUSEDB_READ_ONLY"
  | "FUSEDB_IO"
  | "FUSEDB_TX_CONFLICT"
  | "FUSEDB_SNAPSHOT_TOO_OLD"
  /** A SQL statement failed (src/sql/): `SqlError.sqlState` says how, as PostgreSQL's SQLSTATE. */
  | "FUSEDB_SQL"
  | IndexErrorCode;

/** The codes of {@link IndexError} (secondary indexes, src/indexes/). */
export type IndexErrorCode =
  /** A write (or an index build) would give two live documents one value of a unique index. */
  | "FUSEDB_UNIQUE_VIOLATION"
  /** No index has that name. */
  | "FUSEDB_INDEX_NOT_FOUND"
  /** An index of that name exists already. */
  | "FUSEDB_INDEX_EXISTS"
  /** The index is still building, or its build failed: it cannot answer queries yet. */
  | "FUSEDB_INDEX_NOT_READY";

/** Base class of every error fusedb throws on purpose. `code` is stable; switch on it, not on `message`. */
export class FuseError extends Error {
  readonly code: FuseErrorCode;
  constructor(code: FuseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FuseError";
    this.code = code;
  }
}

/** Bad input from the caller: the call changed nothing. */
export class InvalidArgumentError extends FuseError {
  constructor(code: InvalidArgumentCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "InvalidArgumentError";
  }
}

/**
 * A conditional write (`ifVersion`) found another version: the whole call was rejected and changed nothing.
 * `expected` is the caller's `ifVersion`; `actual` is the key's live version then (0 if absent, deleted or
 * expired). Idea: HTTP If-Match / etcd compare-and-swap on mod revision.
 */
export class VersionConflictError extends FuseError {
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number) {
    super("FUSEDB_VERSION_CONFLICT", `version conflict: expected version ${expected}, key is at ${actual}`);
    this.name = "VersionConflictError";
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * An operation of one type met a key holding another (a hash operation on a list, `get` of a JSON document
 * on a hash): changed nothing. `actual` is the type the key holds. Redis's WRONGTYPE reply.
 */
export class WrongTypeError extends FuseError {
  readonly actual: string;
  readonly reply = "WRONGTYPE Operation against a key holding the wrong kind of value";
  constructor(actual: string, wanted: string) {
    super("FUSEDB_WRONG_TYPE", `the key holds a ${actual}, not a ${wanted}`);
    this.name = "WrongTypeError";
    this.actual = actual;
  }
}

/**
 * A data-type operation refused its arguments or the value it found (not an integer, overflow, syntax):
 * changed nothing. `reply` is Redis 7.0's exact error reply for the same case (what the RESP server sends).
 */
export class DataTypeError extends InvalidArgumentError {
  readonly reply: string;
  constructor(code: DataTypeErrorCode, reply: string) {
    super(code, reply.replace(/^ERR /, ""));
    this.name = "DataTypeError";
    this.reply = reply;
  }
}

/** The operation needs a live key (`expire`), and the key is absent, deleted or expired. Changed nothing. */
export class NotFoundError extends FuseError {
  constructor(message: string) {
    super("FUSEDB_NOT_FOUND", message);
    this.name = "NotFoundError";
  }
}

/**
 * A SQL statement (`db.sql`, src/sql/) failed: it changed nothing (every statement runs in one transaction).
 * `sqlState` is PostgreSQL's five-character SQLSTATE for the same failure ('42601' syntax error, '42P01'
 * undefined table, '42703' undefined column, '23505' unique violation, '23502' not-null violation, '23514'
 * check violation, '23503' foreign-key violation, '22012' division by zero, '22003' out of range, '22P02'
 * invalid text representation, '42804' datatype mismatch, '0A000' feature not supported), so callers and
 * differential tests can switch on it. Source: PostgreSQL's Appendix A, "Error Codes".
 */
export class SqlError extends FuseError {
  readonly sqlState: string;
  constructor(sqlState: string, message: string) {
    super("FUSEDB_SQL", message);
    this.name = "SqlError";
    this.sqlState = sqlState;
  }
}

/**
 * A secondary-index refusal (src/indexes/): the call changed nothing. For FUSEDB_UNIQUE_VIOLATION, `index`
 * names the index and `key` the document already holding the value.
 */
export class IndexError extends FuseError {
  constructor(
    code: IndexErrorCode,
    message: string,
    readonly index: string,
    readonly key?: string,
  ) {
    super(code, message);
    this.name = "IndexError";
  }
}

/**
 * A subscriber's bounded queue overflowed, so it was evicted: its iterator first yields every event it had
 * queued (a gap-free prefix), then throws this error. Writers never wait for subscribers (FluxDB).
 */
export class SlowSubscriberError extends FuseError {
  /** The queue bound that was exceeded, in events. */
  readonly queueMax: number;
  constructor(queueMax: number) {
    super("FUSEDB_SLOW_SUBSCRIBER", `subscriber evicted: more than ${queueMax} undelivered events`);
    this.name = "SlowSubscriberError";
    this.queueMax = queueMax;
  }
}

/**
 * Durable data is damaged in a way fusedb cannot repair. Names the file and byte offset of the damage.
 * Thrown by open/recovery and by reads; the engine never returns damaged data as a value.
 */
export class CorruptionError extends FuseError {
  readonly file: string;
  readonly offset: number;
  /**
   * The damage is data that is missing (a WAL file or records the state needs are gone), not bytes that fail
   * their checksum in `file`: the cause may lie elsewhere, e.g. in the manifest that said what is needed.
   */
  readonly missing: boolean;
  constructor(file: string, offset: number, reason: string, options: { missing?: boolean } = {}) {
    super("FUSEDB_CORRUPTION", `corruption in ${file} at offset ${offset}: ${reason}`);
    this.name = "CorruptionError";
    this.file = file;
    this.offset = offset;
    this.missing = options.missing === true;
  }
}

/**
 * Coverage marks for a corruption detected in a file of kind `kind` (src/util/coverage.ts): one overall and
 * one per kind. Called by the code that detects the damage (the WAL reader, the segment reader, the
 * manifest reader, recovery), next to the CorruptionError it throws.
 */
export function markCorruption(kind: "wal" | "segment" | "manifest"): void {
  mark("corruption.detected");
  mark(`corruption.${kind}`);
}

/**
 * A CorruptionError for damage just detected in a file of kind `kind`, with its coverage marks set
 * ({@link markCorruption}): the detector throws what this returns.
 */
export function detectedCorruption(
  kind: "wal" | "segment" | "manifest",
  file: string,
  offset: number,
  reason: string,
  options: { missing?: boolean } = {},
): CorruptionError {
  markCorruption(kind);
  return new CorruptionError(file, offset, reason, options);
}

/**
 * A WAL write or fdatasync failed. After a failed fsync the kernel may have dropped dirty pages, so
 * nothing is retried: every pending and later write rejects with this error until the database is reopened.
 * Idea: "Can Applications Recover from fsync Failures?" (Rebello et al., ATC'20); PostgreSQL's fsyncgate fix.
 */
export class PoisonedError extends FuseError {
  constructor(cause: unknown) {
    super(
      "FUSEDB_POISONED",
      `database poisoned by a failed WAL write or sync (${describe(cause)}); reopen it to recover from disk`,
      { cause },
    );
    this.name = "PoisonedError";
  }
}

/**
 * A transaction (`db.transaction`) lost an optimistic conflict check at commit on every attempt it was
 * allowed (`retries` + 1): a transaction committed after its snapshot wrote a key it wrote (snapshot
 * isolation), or a key or scanned range it read (serializable). Nothing of it was written.
 * `attempts` counts the runs of the callback. Idea: FoundationDB's `not_committed` (1020).
 */
export class TxConflictError extends FuseError {
  readonly attempts: number;
  /** A key the last attempt conflicted on (as text), if known. */
  readonly key: string | undefined;
  constructor(attempts: number, key?: string) {
    super(
      "FUSEDB_TX_CONFLICT",
      `transaction conflict after ${attempts} attempt(s)${key === undefined ? "" : ` (on key ${JSON.stringify(key)})`}; nothing was written`,
    );
    this.name = "TxConflictError";
    this.attempts = attempts;
    this.key = key;
  }
}

/**
 * A snapshot (or transaction) was released by the engine because the versions it pins passed
 * `snapshotBytesMax`: its reads throw this from then on; the engine never stalls for it. Take a new
 * snapshot (or let the transaction retry). Idea: Oracle's ORA-01555 "snapshot too old".
 */
export class SnapshotTooOldError extends FuseError {
  constructor(detail = "the versions it needed were released to bound memory (snapshotBytesMax)") {
    super("FUSEDB_SNAPSHOT_TOO_OLD", `snapshot too old: ${detail}`);
    this.name = "SnapshotTooOldError";
  }
}

/** The database was closed (or is closing); the call changed nothing. */
export class ClosedError extends FuseError {
  constructor() {
    super("FUSEDB_CLOSED", "database is closed");
    this.name = "ClosedError";
  }
}

/**
 * Another process (or another handle in this process) has the data directory open in a way that excludes
 * this open: a writer excludes everyone; read-only handles exclude writers only.
 */
export class LockedError extends FuseError {
  /** `holder` names who has it, for people; `cause` is the file system's report (`DirLockHeldError`). */
  constructor(dir: string, holder: string, options?: { cause?: unknown }) {
    super(
      "FUSEDB_LOCKED",
      `data directory ${dir} is locked by ${holder}; one writer at a time, and readers only while no writer has it`,
      options,
    );
    this.name = "LockedError";
  }
}

/**
 * A write, `checkpoint` or `subscribe` on a database opened with `readOnly: true`. The call changed nothing
 * (nothing on disk changes while a handle is read-only).
 */
export class ReadOnlyError extends FuseError {
  /** @param operation what was refused, for people ("set", "checkpoint", "subscribe", ...). */
  constructor(operation: string) {
    super("FUSEDB_READ_ONLY", `${operation} refused: the database was opened with readOnly: true`);
    this.name = "ReadOnlyError";
  }
}

/**
 * The file system failed a call that an open or a foreground operation made: no space (ENOSPC, EDQUOT), a
 * read-only file system (EROFS), no permission (EACCES, EPERM), a path of the wrong kind (ENOTDIR: the data
 * directory is a file; EISDIR: a directory where a file such as `LOCK` should be), a missing directory
 * (ENOENT), a failed read (EIO), ... `cause` is the operating system's error as it came; `osCode` is its
 * code. A failed open changed nothing it would not redo; a failed read returned nothing. Failures of
 * background work and of WAL writes poison the database instead (`PoisonedError`, the same `cause`).
 */
export class IoError extends FuseError {
  /** The operating system's error code (`"ENOSPC"`, `"EROFS"`, ...), as `cause.code`. */
  readonly osCode: string;
  constructor(what: string, cause: Error & { code: string }, hint = "") {
    super("FUSEDB_IO", `${what}: ${cause.message}${hint}`, { cause });
    this.name = "IoError";
    this.osCode = cause.code;
  }
}

/**
 * The OS error code of `err` if it is an operating system's (or a simulated disk's) I/O error: an Error, not
 * a {@link FuseError}, whose string `code` is errno-shaped (`E` and capitals: ENOSPC, EIO, ...). Node's own
 * programming errors (`ERR_*`) and fusedb's typed errors are not.
 */
export function osErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || err instanceof FuseError) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/**
 * `err` as the error a caller sees: an OS I/O error becomes an {@link IoError} (FUSEDB_IO) saying `what`
 * failed, with `err` as its cause; anything else (typed errors, failed assertions) is returned as it is.
 */
export function asIoError(err: unknown, what: string, hint = ""): unknown {
  const code = osErrorCode(err);
  if (code === undefined) return err;
  return new IoError(what, err as Error & { code: string }, hint);
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

/**
 * Assertions are documentation that runs (TigerBeetle TIGER_STYLE): a failed assertion is a bug in fusedb,
 * never an input error, and is never caught.
 */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`fusedb assertion failed: ${message}`);
}
