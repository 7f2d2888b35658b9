/**
 * Paths on the simulated disk: `/`-separated names from the root, and the bytewise order listings and walks
 * use.
 *
 * Invariant: a path splits into names none of which is empty, `.` or `..` (`..` is refused with EINVAL), so
 * two spellings of one path have one canonical form and one list of names; names compare by their UTF-8
 * bytes, as `FileSystem.list` promises.
 */
import { SimIoError } from "./sim-error.js";

/**
 * Splits a `/`-separated path into names; relative paths are taken from the root.
 * @throws SimIoError EINVAL if a name is `..`.
 */
export function splitPath(path: string, syscall: string): string[] {
  const names = path.split("/").filter((name) => name !== "" && name !== ".");
  if (names.includes("..")) throw new SimIoError("EINVAL", syscall, path);
  return names;
}

/** The canonical form of a path: `/a/b`, or `/` for the root. */
export function canonicalPath(path: string): string {
  return `/${path
    .split("/")
    .filter((name) => name !== "" && name !== ".")
    .join("/")}`;
}

/** The path of `name` inside directory `dir` (a canonical path). */
export function childPath(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

const utf8 = new TextEncoder();

/** Bytewise order of the UTF-8 encodings, as `FileSystem.list` promises. */
export function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] as number) - (y[i] as number);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
