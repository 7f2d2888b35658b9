/**
 * Errors the simulated disk rejects with. They carry the errno-style `code` a real `node:fs` call would,
 * so the engine's `ioErrorCode(err)` checks work unchanged on both backends.
 */

/** Codes the simulated file system uses; `ESIMCRASHED` is the simulator's own (the disk lost power). */
export type SimIoErrorCode =
  | "ENOENT"
  | "EEXIST"
  | "EISDIR"
  | "ENOTDIR"
  | "EBADF"
  | "EINVAL"
  | "EIO"
  | "ENOSPC"
  | "ESIMCRASHED";

const DESCRIPTIONS: Record<SimIoErrorCode, string> = {
  ENOENT: "no such file or directory",
  EEXIST: "file already exists",
  EISDIR: "illegal operation on a directory",
  ENOTDIR: "not a directory",
  EBADF: "bad file descriptor",
  EINVAL: "invalid argument",
  EIO: "i/o error (injected)",
  ENOSPC: "no space left on device (injected)",
  ESIMCRASHED: "simulated disk has crashed; use the instance crash() returned",
};

/** A failed simulated I/O call: `code`, the `syscall`-like operation name and the path, as Node reports them. */
export class SimIoError extends Error {
  readonly code: SimIoErrorCode;
  readonly syscall: string;
  readonly path: string;

  constructor(code: SimIoErrorCode, syscall: string, path: string) {
    super(`${code}: ${DESCRIPTIONS[code]}, ${syscall} '${path}'`);
    this.name = "SimIoError";
    this.code = code;
    this.syscall = syscall;
    this.path = path;
  }
}

/** The `code` of an error (engine `FUSEDB_*`, errno-style, or the simulator's), if it has a string one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** One line for a report: `CODE: message` (or the error's name), or the value as a string. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${errorCode(err) ?? err.name}: ${err.message}`;
  return String(err);
}
