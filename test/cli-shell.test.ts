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
 * - Nothing typed is altered silently (issue 12 item 13): a number that JSON.parse would round
 *   (12345678901234567890, 2^53 + 1, 1e400, 1e-400) prints `ERR FUSEDB_OUT_OF_RANGE` and stores nothing, so a
 *   later INCR starts from 0; exact spellings (1.50, 1E2, -0, 2^53) and quoted digits are stored; a line
 *   whose bytes are not UTF-8 prints `ERR FUSEDB_INVALID_ARGUMENT` and stores nothing, so byte keys 0xFF and
 *   0xFE do not alias each other or the real U+FFFD key (which works), interactive-equivalent via a pipe.
 * - The input decoder (cli/utf8-escape.ts) loses no byte: re-encoding its text gives the input back, its
 *   output does not depend on how the bytes are chunked, valid UTF-8 decodes as Buffer does with no escape
 *   (fast-check, seed printed); firstInexactNumber agrees with a table of exact and inexact literals.
 * - `fusedb --help` lists the public commands and hides the internal crash-child.
 * - verifyCrashRound passes a consistent round and fails on a lost acknowledgement, on a double-applied
 *   increment (value > version, more than issued, two acknowledgements sharing a value, an acknowledgement
 *   whose value differs from its version), and on a skipped version (canaries).
 */
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { CounterObservation } from "../cli/crash-verify.js";
import { verifyCrashRound } from "../cli/crash-verify.js";
import { firstInexactNumber } from "../cli/exact-numbers.js";
import { ESCAPE_BASE, firstNonUtf8, Utf8Escaper } from "../cli/utf8-escape.js";
import { open } from "../src/index.js";
import { testSeed } from "./helpers/seed.js";

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
  input: string | Buffer,
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

describe("fusedb shell, nothing altered silently", () => {
  it("refuses numbers that would be rounded and lines that are not UTF-8", async () => {
    const dir = tempDir();
    const lines = [
      "SET n 12345678901234567890",
      "INCR n",
      'SET quoted "12345678901234567890"',
      'SET doc {"a":1.50,"b":-0,"c":1E2,"d":9007199254740992,"e":0.1}',
      "SET m [9007199254740993]",
      'PATCH doc {"x":1e400}',
      'PATCH doc {"x":1e-400}',
      'SET s "1e400 is fine inside a string"',
    ];
    const input = Buffer.concat([
      Buffer.from(`${lines.join("\n")}\n`),
      Buffer.from([...Buffer.from("SET "), 0xff, ...Buffer.from(" 1\n")]),
      Buffer.from([...Buffer.from("SET "), 0xfe, ...Buffer.from(" 2\n")]),
      Buffer.from([...Buffer.from('SET k "caf'), 0xe0, 0xa0, ...Buffer.from('"\n')]),
      Buffer.from("SET \ufffd 3\nGET \ufffd\n"),
    ]);
    const { lines: out, code } = await runShell(dir, input);
    expect(code).toBe(0);
    expect(out[0]).toBe(
      "ERR FUSEDB_OUT_OF_RANGE the number 12345678901234567890 cannot be stored exactly " +
        "(it would become 12345678901234567000); quote it to store a string",
    );
    expect(out[1]).toBe("OK version=1 value=1");
    expect(out.slice(2, 4)).toEqual(["OK version=1", "OK version=1"]);
    for (const line of out.slice(4, 7)) expect(line).toMatch(/^ERR FUSEDB_OUT_OF_RANGE the number /);
    expect(out[7]).toBe("OK version=1");
    expect(out[8]).toBe(
      "ERR FUSEDB_INVALID_ARGUMENT the line is not valid UTF-8 (byte 0xff at character 5); it was not run",
    );
    expect(out[9]).toMatch(/^ERR FUSEDB_INVALID_ARGUMENT the line is not valid UTF-8 \(byte 0xfe /);
    expect(out[10]).toMatch(/^ERR FUSEDB_INVALID_ARGUMENT the line is not valid UTF-8 \(byte 0xe0 /);
    expect(out.slice(11)).toEqual(["OK version=1", "3 (version 1)"]);

    const db = await open(dir);
    try {
      expect(await db.get("n")).toEqual({ value: 1, version: 1 });
      expect(await db.get("quoted")).toEqual({ value: "12345678901234567890", version: 1 });
      expect(await db.get("doc")).toEqual({
        value: { a: 1.5, b: 0, c: 100, d: 2 ** 53, e: 0.1 },
        version: 1,
      });
      expect(await db.versionOf("m")).toBe(0);
      expect(await db.versionOf(new Uint8Array([0xff]))).toBe(0);
      expect(await db.versionOf(new Uint8Array([0xfe]))).toBe(0);
      expect(await db.versionOf("k")).toBe(0);
      expect(await db.get("\ufffd")).toEqual({ value: 3, version: 1 });
    } finally {
      await db.close();
    }
  });
});

describe("firstInexactNumber", () => {
  it("accepts exact spellings and finds the first number that would change", () => {
    for (const text of [
      "0",
      "-0",
      "1.50",
      "1E2",
      "0.1",
      "9007199254740992",
      "1e-7",
      "5e-324",
      "1.7976931348623157e308",
      '["1e400", "\\"9007199254740993"]',
      "0e99999999999",
    ]) {
      expect(firstInexactNumber(text), text).toBeUndefined();
    }
    expect(firstInexactNumber('{"a":1,"b":[2,12345678901234567890,1e400]}')).toEqual({
      literal: "12345678901234567890",
      stored: 12345678901234567000,
    });
    expect(firstInexactNumber("9007199254740993")?.stored).toBe(2 ** 53);
    expect(firstInexactNumber("1.0000000000000000001")?.stored).toBe(1);
    expect(firstInexactNumber("-1e400")?.stored).toBe(Number.NEGATIVE_INFINITY);
    expect(firstInexactNumber("1e-400")?.stored).toBe(0);
  });
});

describe("Utf8Escaper", () => {
  /** The bytes a decoded text stands for: escapes give their byte back, the rest is UTF-8. */
  function reencode(text: string): Buffer {
    const parts: Buffer[] = [];
    let run = "";
    for (const ch of text) {
      const unit = ch.charCodeAt(0);
      if (ch.length === 1 && unit >= ESCAPE_BASE + 0x80 && unit <= ESCAPE_BASE + 0xff) {
        parts.push(Buffer.from(run), Buffer.from([unit - ESCAPE_BASE]));
        run = "";
      } else run += ch;
    }
    parts.push(Buffer.from(run));
    return Buffer.concat(parts);
  }

  function decodeInChunks(bytes: Uint8Array, cuts: number[]): string {
    const escaper = new Utf8Escaper();
    let out = "";
    let from = 0;
    for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
      out += escaper.write(bytes.subarray(from, cut));
      from = cut;
    }
    return out + escaper.write(bytes.subarray(from)) + escaper.end();
  }

  it("loses no byte, whatever the chunking, and decodes valid UTF-8 as Buffer does", () => {
    const seed = testSeed("Utf8Escaper");
    // Bytes biased towards UTF-8 lead and continuation bytes, so near-valid sequences are common.
    const byte = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0x80, max: 0xbf }),
      fc.constantFrom(0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0x0a),
    );
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 64 }), fc.array(fc.nat(), { maxLength: 6 }), (list, cuts) => {
        const bytes = Uint8Array.from(list);
        const whole = decodeInChunks(bytes, []);
        expect(decodeInChunks(bytes, cuts)).toBe(whole);
        expect(reencode(whole).equals(Buffer.from(bytes))).toBe(true);
      }),
      { seed, numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
        const bytes = Buffer.from(text);
        const decoded = decodeInChunks(bytes, cuts);
        expect(decoded).toBe(bytes.toString("utf8"));
        expect(firstNonUtf8(decoded)).toBeUndefined();
      }),
      { seed, numRuns: 300 },
    );
  });

  it("escapes each byte of an invalid sequence, and firstNonUtf8 names the first", () => {
    const escaper = new Utf8Escaper();
    // Overlong "/", a UTF-16 surrogate in UTF-8, a truncated 3-byte sequence before "A", above U+10FFFF.
    const text =
      escaper.write(Uint8Array.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2, 0x82, 0x41, 0xf5])) + escaper.end();
    const escaped = (bytes: number[]): string => String.fromCharCode(...bytes.map((b) => ESCAPE_BASE + b));
    expect(text).toBe(`${escaped([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2, 0x82])}A${escaped([0xf5])}`);
    expect(firstNonUtf8(`ok ${text}`)).toEqual({ index: 3, byte: 0xc0 });
    expect(firstNonUtf8("lone \ud800")).toEqual({ index: 5, byte: undefined });
    expect(firstNonUtf8("pair \ud83d\ude00")).toBeUndefined();
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
