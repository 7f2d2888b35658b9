/** Installed versions of the peers, read from their package.json, for the report. */
import { readFileSync } from "node:fs";

/** The installed version of package `name` (from node_modules), or "unknown". */
export function packageVersion(name: string): string {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}
