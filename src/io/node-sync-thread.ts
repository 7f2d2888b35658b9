/**
 * The real disk's write-and-sync thread: one worker thread per `NodeFileSystem` that carries out
 * `File.writeAndSync` in one trip: it receives the writes and the file descriptor, issues each `pwrite`
 * and then `fdatasync` back to back with blocking calls, and answers once. Through libuv's pool the same
 * request takes a trip per call, each waiting for the event loop to hand out the next one behind whatever
 * the main thread is doing (issue 13 point 4: CPU and fdatasync ran one after the other).
 *
 * Only src/io/node-* may use threads (DESIGN.md, the seam); the simulated disk runs `writeAndSync` as its
 * separate calls, in-thread (src/io/file-system.ts `writeThenSync`), with the same effect.
 *
 * Life cycle: the thread starts when a file first asks for it and stops when the last file that used it is
 * closed (and nothing is in flight). Until it is running (tens of milliseconds), requests take the
 * in-thread path, so starting it delays nothing. It keeps the process alive only while a request is in
 * flight. Requests of one file are carried out in the order they were made (one message port, one thread).
 */
import { Worker } from "node:worker_threads";

/**
 * The thread's code (CommonJS, evaluated): for each request, the writes in order (a short write continues
 * where it stopped; zero bytes written is an EIO), then fdatasync; the answer names the failed step.
 */
const THREAD_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
parentPort.on("message", (m) => {
  let step = "write";
  try {
    let at = 0;
    for (let i = 0; i < m.offsets.length; i++) {
      const length = m.lengths[i];
      for (let done = 0; done < length; ) {
        const n = fs.writeSync(m.fd, m.bytes, at + done, length - done, m.offsets[i] + done);
        if (n <= 0) throw Object.assign(new Error("pwrite wrote nothing"), { code: "EIO", syscall: "write" });
        done += n;
      }
      at += length;
    }
    step = "sync";
    fs.fdatasyncSync(m.fd);
    parentPort.postMessage({ id: m.id });
  } catch (e) {
    const err = e === null || typeof e !== "object" ? { message: String(e) } : e;
    parentPort.postMessage({
      id: m.id, step, code: err.code, errno: err.errno, syscall: err.syscall, message: String(err.message),
    });
  }
});
`;

/** A failed request as the thread reports it. */
interface Answer {
  id: number;
  step?: "write" | "sync";
  code?: string;
  errno?: number;
  syscall?: string;
  message?: string;
}

interface InFlight {
  resolve: () => void;
  reject: (step: "write" | "sync", err: Error) => void;
}

/** One write-and-sync thread; see the module comment. */
export class SyncThread {
  private worker: Worker | undefined;
  private running = false;
  private users = 0;
  private nextId = 1;
  private readonly inFlight = new Map<number, InFlight>();
  private readyWaiters: (() => void)[] = [];

  /** A file will send requests: starts the thread if it is not running. Pair with {@link release}. */
  acquire(): void {
    this.users++;
    if (this.worker === undefined) this.start();
  }

  /** A file that called {@link acquire} is closed: the last one stops the thread once nothing is in flight. */
  release(): void {
    this.users--;
    if (this.users === 0 && this.inFlight.size === 0) this.stop();
  }

  /** Whether requests are carried out by the thread now (else the caller takes its in-thread path). */
  get ready(): boolean {
    return this.running;
  }

  /** Resolves once the thread runs (at once if it does); for tests. Call after {@link acquire}. */
  whenReady(): Promise<void> {
    if (this.running) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Writes each `data[i]` at `offsets[i]` of descriptor `fd`, in order, then fdatasyncs it, on the thread.
   * The bytes are copied once into a buffer handed over to the thread. `fd` must stay open until it settles.
   * @throws (through `onError`) the step that failed and the OS error, rebuilt with its code and syscall.
   */
  run(
    fd: number,
    writes: readonly { offsetBytes: number; data: Uint8Array }[],
    onError: (step: "write" | "sync", err: Error) => unknown,
  ): Promise<void> {
    const worker = this.worker;
    if (worker === undefined || !this.running) throw new Error("the sync thread is not running");
    let total = 0;
    for (const w of writes) total += w.data.length;
    const bytes = new Uint8Array(total);
    const offsets: number[] = [];
    const lengths: number[] = [];
    let at = 0;
    for (const w of writes) {
      bytes.set(w.data, at);
      at += w.data.length;
      offsets.push(w.offsetBytes);
      lengths.push(w.data.length);
    }
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => {
      this.inFlight.set(id, { resolve, reject: (step, err) => reject(onError(step, err)) });
    });
    if (this.inFlight.size === 1) worker.ref();
    worker.postMessage({ id, fd, offsets, lengths, bytes }, [bytes.buffer]);
    return done;
  }

  private start(): void {
    const worker = new Worker(THREAD_SOURCE, { eval: true });
    this.worker = worker;
    worker.unref();
    worker.on("online", () => {
      if (this.worker !== worker) return;
      this.running = true;
      for (const resolve of this.readyWaiters.splice(0)) resolve();
    });
    worker.on("message", (answer: Answer) => this.settle(answer));
    worker.on("error", (err) => this.fail(worker, err));
    worker.on("exit", (code) => this.fail(worker, new Error(`the sync thread exited (code ${code})`)));
  }

  private settle(answer: Answer): void {
    const request = this.inFlight.get(answer.id);
    if (request === undefined) return;
    this.inFlight.delete(answer.id);
    if (this.inFlight.size === 0) {
      this.worker?.unref();
      if (this.users === 0) this.stop();
    }
    if (answer.step === undefined) {
      request.resolve();
      return;
    }
    const err = Object.assign(new Error(answer.message ?? "I/O error"), {
      code: answer.code,
      errno: answer.errno,
      syscall: answer.syscall,
    });
    request.reject(answer.step, err);
  }

  /**
   * The thread died (it never should): whatever was in flight may or may not have reached the disk, so it
   * fails (the engine poisons itself and never retries); later requests start a new thread.
   */
  private fail(worker: Worker, cause: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.running = false;
    const lost = [...this.inFlight.values()];
    this.inFlight.clear();
    const err = Object.assign(new Error(`the sync thread failed: ${cause.message}`, { cause }), {
      code: "EIO",
    });
    for (const request of lost) request.reject("sync", err);
    if (this.users > 0) this.start();
  }

  private stop(): void {
    const worker = this.worker;
    if (worker === undefined) return;
    this.worker = undefined;
    this.running = false;
    void worker.terminate();
  }
}
