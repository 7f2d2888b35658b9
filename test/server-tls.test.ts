/**
 * TLS for `fusedb server` (src/io/node-listener.ts listenTls, the tls-* options, cli/server-command.ts),
 * with certificates made by openssl at test time (a CA, a server certificate for 127.0.0.1, a client
 * certificate, and a rogue CA with its own client). Invariants checked:
 * - node-redis over TLS, verifying the server against the CA and presenting a client certificate, runs
 *   commands as over TCP;
 * - tls-auth-clients yes: a client without a certificate, or with one from another CA, gets no reply and
 *   is closed, and only that connection; optional: no certificate is fine, a rogue one is not; no: not asked;
 * - `fusedb server --tls-port` serves redis-cli --tls (Debian's redis-cli is built with TLS); tls-port
 *   without a certificate is a fatal config error (exit 1).
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { createClient } from "@redis/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TlsSettings } from "../src/io/node-listener.js";
import { cleanupsAfterEach } from "./helpers/cleanups.js";
import { freePort } from "./helpers/free-port.js";
import { spawnFusedbServer, waitForOutput } from "./helpers/fusedb-process.js";
import { tlsServer } from "./helpers/resp-server.js";

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;
const hasRedisCli = spawnSync("redis-cli", ["--version"]).status === 0;
const cleanups = cleanupsAfterEach();
let dir = "";
const pem = (name: string): Buffer => readFileSync(join(dir, name));

function run(args: string[]): void {
  const r: SpawnSyncReturns<Buffer> = spawnSync("openssl", args, { cwd: dir });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr.toString()}`);
}

/** A key and a certificate named `name`, signed by `ca` (self-signed CA when ca is undefined). */
function makeCert(name: string, subject: string, ca?: string, altNames?: string): void {
  const key = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
  ];
  if (ca === undefined) {
    run(["req", "-x509", ...key, "-out", `${name}.crt`, "-days", "2", "-subj", subject]);
    return;
  }
  run(["req", ...key, "-out", `${name}.csr`, "-subj", subject]);
  const ext = `${name}.ext`;
  writeFileSync(
    join(dir, ext),
    altNames === undefined ? "basicConstraints=CA:FALSE\n" : `subjectAltName=${altNames}\n`,
  );
  const sign = ["-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-extfile", ext];
  run(["x509", "-req", "-in", `${name}.csr`, ...sign, "-out", `${name}.crt`]);
}

beforeAll(() => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), "fusedb-tls-"));
  makeCert("ca", "/CN=fusedb test CA");
  makeCert("server", "/CN=localhost", "ca", "IP:127.0.0.1,DNS:localhost");
  makeCert("client", "/CN=client", "ca");
  makeCert("rogue-ca", "/CN=rogue CA");
  makeCert("rogue", "/CN=rogue", "rogue-ca");
});
afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

function settings(authClients: TlsSettings["authClients"]): TlsSettings {
  return { cert: pem("server.crt"), key: pem("server.key"), ca: pem("ca.crt"), authClients };
}

async function started(authClients: TlsSettings["authClients"], log: string[] = []) {
  const s = await tlsServer({ log }, settings(authClients));
  cleanups.push(() => s.server.close());
  return s;
}

/** Connects over TLS (optionally with a client certificate), sends PING, resolves with all bytes received. */
function rawPing(port: number, client?: "client" | "rogue"): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: "127.0.0.1",
      port,
      ca: pem("ca.crt"),
      ...(client === undefined ? {} : { cert: pem(`${client}.crt`), key: pem(`${client}.key`) }),
    });
    let got = "";
    socket.on("secureConnect", () => socket.write("PING\r\n"));
    socket.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      if (got.includes("\r\n")) socket.end();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(got));
  });
}

describe.skipIf(!hasOpenssl)("TLS", () => {
  it("node-redis verifies the server and presents a client certificate; commands run", async () => {
    const { port } = await started("yes");
    const c = createClient({
      socket: {
        host: "127.0.0.1",
        port,
        tls: true,
        ca: pem("ca.crt"),
        cert: pem("client.crt"),
        key: pem("client.key"),
      },
    });
    c.on("error", () => undefined);
    await c.connect();
    cleanups.push(() => c.close());
    expect(await c.ping()).toBe("PONG");
    expect(await c.sendCommand(["JSON.SET", "k", "$", '{"tls":true}'])).toBe("OK");
    expect(await c.sendCommand(["JSON.GET", "k"])).toBe('{"tls":true}');
  });

  it("tls-auth-clients yes: no certificate, or a rogue one, is closed without a reply; others go on", async () => {
    const log: string[] = [];
    const { port } = await started("yes", log);
    expect(await rawPing(port, "client")).toBe("+PONG\r\n");
    expect(await rawPing(port)).toBe("");
    expect(await rawPing(port, "rogue")).toBe("");
    expect(await rawPing(port, "client")).toBe("+PONG\r\n");
    expect(log.some((l) => l.startsWith("TLS: "))).toBe(true);
  });

  it("tls-auth-clients optional accepts no certificate but refuses a rogue one; no asks for none", async () => {
    const optional = await started("optional");
    expect(await rawPing(optional.port)).toBe("+PONG\r\n");
    expect(await rawPing(optional.port, "client")).toBe("+PONG\r\n");
    expect(await rawPing(optional.port, "rogue")).toBe("");
    const none = await started("no");
    expect(await rawPing(none.port)).toBe("+PONG\r\n");
  });
});

describe.skipIf(!hasOpenssl || !hasRedisCli)("fusedb server --tls-port with redis-cli --tls", () => {
  it("serves redis-cli over TLS with a client certificate; tls-port without a certificate is fatal", async () => {
    const tlsPort = await freePort();
    const data = join(dir, "data");
    const server = spawnFusedbServer(
      [
        data,
        "--port",
        "0",
        "--tls-port",
        String(tlsPort),
        "--tls-cert-file",
        join(dir, "server.crt"),
        "--tls-key-file",
        join(dir, "server.key"),
        "--tls-ca-cert-file",
        join(dir, "ca.crt"),
      ],
      cleanups,
    );
    await waitForOutput(server, /ready:/);
    const cli = (...args: string[]) =>
      spawnSync(
        "redis-cli",
        [
          "--tls",
          "--cacert",
          join(dir, "ca.crt"),
          "--cert",
          join(dir, "client.crt"),
          "--key",
          join(dir, "client.key"),
        ].concat(["-h", "127.0.0.1", "-p", String(tlsPort)], args),
        { encoding: "utf8" },
      );
    expect(cli("PING").stdout).toBe("PONG\n");
    expect(cli("JSON.SET", "k", "$", "1").stdout).toBe("OK\n");
    expect(cli("CONFIG", "GET", "tls-port").stdout).toBe(`tls-port\n${tlsPort}\n`);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);

    const bad = spawnFusedbServer(
      [join(dir, "data2"), "--port", "0", "--tls-port", String(tlsPort)],
      cleanups,
    );
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain("FATAL CONFIG ERROR: tls-port needs tls-cert-file and tls-key-file");
  });
});
