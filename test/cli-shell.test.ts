/**
 * The `fusedb shell` command and the crash-test verdict. Invariants checked:
 * - The FluxDB README session piped into `fusedb shell` prints the documented lines, in order, and what the
 *   shell reported (values and versions) is exactly what the library reads back after the shell exits:
 *   a durable reply means durable state; DELETE leaves a versioned tombstone.
 * - Invalid JSON prints `ERR FUSEDB_INVALID_JSON` and changes nothing; the shell keeps going; commands are
 *   case-insensitive; unknown commands print ERR; EOF closes the database cleanly (it reopens).
 * - Malformed lines (unknown command without a key, a non-decimal INCR delta, stray arguments after GET,
 *   DELETE, CHECKPOINT or EXIT, a missing JSON value) print `ERR FUSEDB_INVALID_ARGUMENT`/`INVALID_JSON`,
 *   change nothing and do not end the session; blank lines print nothing.
 * - `fusedb --help` lists the public commands and hides the internal crash-child.
 * - verifyCrashRound passes a consistent round and fails on a lost acknowledgement, on a double-applied
 *   increment (value > version, more than issued, two acknowledgements sharing a value, an acknowledgement
 *   whose value differs from its version), and on a skipped version (canaries).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CounterObservation } from "../cli/crash-verify.js";
import { verifyCrashRound } from "../cli/crash-verify.js";
import { open } from "../src/index.js";

const BIN = join(import.meta.dirname, "..", "bin", "fusedb.js");
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "fusedb-cli-"));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs `node bin/fusedb.js ...args` with no input and collects stdout and the exit code. */
function runCli(args: string[]): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ stdout, code });
    });
  });
}

/** Pipes `input` into `node bin/fusedb.js shell <dir>` (stdin not a TTY) and collects its output lines. */
function runShell(
  dir: string,
  input: string,
): Promise<{ lines: string[]; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "shell", dir], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ lines: stdout.split("\n").filter((l) => l !== ""), code, stderr });
    });
    child.stdin.end(input);
  });
}

describe("fusedb shell", () => {
  it("runs the FluxDB README session, and the library reads back what the shell reported", async () => {
    const dir = tempDir();
    const session = [
      'SET a "hello"',
      "SET b 42",
      'SET user {"name":"vaibhav","age":21}',
      "SET nums [1,2,3]",
      "GET user",
      'PATCH user {"age":22}',
      "GET user",
      "DELETE a",
      "GET a",
      "CHECKPOINT",
      "EXIT",
      "GET b",
    ].join("\n");
    const { lines, code, stderr } = await runShell(dir, `${session}\n`);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(lines).toEqual([
      "OK version=1",
      "OK version=1",
      "OK version=1",
      "OK version=1",
      '{"name":"vaibhav","age":21} (version 1)',
      'OK version=2 value={"name":"vaibhav","age":22}',
      '{"name":"vaibhav","age":22} (version 2)',
      "OK version=2",
      "(nil)",
      "OK checkpoint lsn=6",
    ]);

    const db = await open(dir);
    try {
      expect(await db.get("user")).toEqual({ value: { name: "vaibhav", age: 22 }, version: 2 });
      expect(await db.get("a")).toBeUndefined();
      expect(await db.versionOf("a")).toBe(2);
      expect(await db.get("b")).toEqual({ value: 42, version: 1 });
      expect(await db.get("nums")).toEqual({ value: [1, 2, 3], version: 1 });
    } finally {
      await db.close();
    }
  });

  it("rejects invalid JSON without changing anything, keeps going, and takes lowercase commands", async () => {
    const dir = tempDir();
    const session = [
      "set x 1",
      "SET x {bad",
      "get x",
      "set y {bad json here",
      "incr x",
      "incr x 5",
      "Get y",
      "frobnicate x",
      'patch doc {"a": {"b": 1}}',
      "delete x",
    ].join("\n");
    // No EXIT: end of input must close the database cleanly.
    const { lines, code } = await runShell(dir, `${session}\n`);
    expect(code).toBe(0);
    expect(lines[0]).toBe("OK version=1");
    expect(lines[1]).toMatch(/^ERR FUSEDB_INVALID_JSON /);
    expect(lines[2]).toBe("1 (version 1)");
    expect(lines[3]).toMatch(/^ERR FUSEDB_INVALID_JSON /);
    expect(lines[4]).toBe("OK version=2 value=2");
    expect(lines[5]).toBe("OK version=3 value=7");
    expect(lines[6]).toBe("(nil)");
    expect(lines[7]).toMatch(/^ERR FUSEDB_INVALID_ARGUMENT unknown command/);
    expect(lines[8]).toBe('OK version=1 value={"a":{"b":1}}');
    expect(lines[9]).toBe("OK version=4");
    expect(lines).toHaveLength(10);

    const db = await open(dir);
    try {
      expect(await db.get("x")).toBeUndefined();
      expect(await db.versionOf("x")).toBe(4);
      expect(await db.versionOf("y")).toBe(0);
      expect(await db.get("doc")).toEqual({ value: { a: { b: 1 } }, version: 1 });
    } finally {
      await db.close();
    }
  });
});

describe("fusedb shell, malformed lines", () => {
  it("rejects them with ERR, changes nothing and keeps going", async () => {
    const dir = tempDir();
    const session = [
      "bogus",
      "",
      "   ",
      "INCR c 0x10",
      "INCR c 1e3",
      "INCR c 1.5",
      "GET c extra",
      "DELETE c extra",
      "SET c",
      "CHECKPOINT now",
      "EXIT now",
      "incr c -3",
      "GET c",
    ].join("\n");
    const { lines, code } = await runShell(dir, `${session}\n`);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^ERR FUSEDB_INVALID_ARGUMENT unknown command "bogus"/);
    for (const line of lines.slice(1, 6)) expect(line).toMatch(/^ERR FUSEDB_INVALID_ARGUMENT /);
    expect(lines[6]).toMatch(/^ERR FUSEDB_INVALID_JSON missing JSON value/);
    expect(lines[7]).toMatch(/^ERR FUSEDB_INVALID_ARGUMENT CHECKPOINT takes no arguments/);
    expect(lines[8]).toMatch(/^ERR FUSEDB_INVALID_ARGUMENT EXIT takes no arguments/);
    expect(lines.slice(9)).toEqual(["OK version=1 value=-3", "-3 (version 1)"]);

    const db = await open(dir);
    try {
      expect(await db.get("c")).toEqual({ value: -3, version: 1 });
    } finally {
      await db.close();
    }
  });
});

describe("fusedb --help", () => {
  it("lists the commands and hides crash-child", async () => {
    const { stdout, code } = await runCli(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\s+shell \[dir\]/m);
    expect(stdout).toMatch(/^\s+demo \[options\] \[dir\]/m);
    expect(stdout).not.toMatch(/crash-child/);
  });
});

describe("verifyCrashRound", () => {
  const good: CounterObservation = {
    key: "counter:00",
    baseline: 10,
    issued: 8,
    ackedMax: 15,
    acked: 5,
    ackedMismatched: 0,
    recoveredValue: 16,
    recoveredVersion: 16,
  };

  it("passes a consistent round, and a key no increment reached", () => {
    expect(verifyCrashRound([good]).pass).toBe(true);
    const untouched = {
      ...good,
      baseline: 0,
      issued: 0,
      ackedMax: 0,
      acked: 0,
      recoveredValue: undefined,
      recoveredVersion: 0,
    };
    expect(verifyCrashRound([good, untouched])).toEqual({ pass: true, violations: [] });
  });

  it("fails on a lost acknowledged increment", () => {
    const v = verifyCrashRound([good, { ...good, key: "k", recoveredValue: 14, recoveredVersion: 14 }]);
    expect(v.pass).toBe(false);
    expect(v.violations).toHaveLength(1);
    expect(v.violations[0]).toMatch(/^k: lost acknowledged/);
  });

  it("fails on a double-applied increment", () => {
    const twiceValue = verifyCrashRound([{ ...good, recoveredValue: 17, recoveredVersion: 16 }]);
    expect(twiceValue.pass).toBe(false);
    expect(twiceValue.violations.join("\n")).toMatch(/double-applied/);
    const beyondIssued = verifyCrashRound([{ ...good, recoveredValue: 19, recoveredVersion: 19 }]);
    expect(beyondIssued.pass).toBe(false);
    expect(beyondIssued.violations.join("\n")).toMatch(/exceeds baseline 10 \+ issued 8/);
    const sharedAck = verifyCrashRound([{ ...good, acked: 6 }]);
    expect(sharedAck.violations).toEqual([
      "counter:00: 6 acknowledgements but only 5 values above 10 (two increments acknowledged with one value)",
    ]);
    const liveMismatch = verifyCrashRound([{ ...good, ackedMismatched: 1 }]);
    expect(liveMismatch.violations).toEqual(["counter:00: 1 acknowledgements with value != version"]);
  });

  it("fails on a skipped version, a regression and a non-counter value", () => {
    expect(verifyCrashRound([{ ...good, recoveredVersion: 17 }]).pass).toBe(false);
    expect(verifyCrashRound([{ ...good, ackedMax: 0, recoveredValue: 9, recoveredVersion: 9 }]).pass).toBe(
      false,
    );
    expect(verifyCrashRound([{ ...good, recoveredValue: "16" }]).pass).toBe(false);
  });
});
