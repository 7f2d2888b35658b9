// The tab's WebSocket to the server, reconnecting by itself: after any close it waits (200 ms, doubling up
// to 5 s, back to 200 ms once a connection delivered a snapshot) and opens a new one. The caller re-sends
// its watch on every open, so each connection starts from a fresh snapshot.

const RETRY_MS_MIN = 200;
const RETRY_MS_MAX = 5000;

export class Connection {
  /**
   * @param {string} url ws:// address
   * @param {{ open: (n: number) => void, message: (m: any) => void, close: (e: CloseEvent, retryMs: number) => void }} on
   */
  constructor(url, on) {
    this.url = url;
    this.on = on;
    this.retryMs = RETRY_MS_MIN;
    /** Connections opened so far (1 for the first). */
    this.opened = 0;
    this.socket = null;
  }

  start() {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.opened += 1;
      this.on.open(this.opened);
    });
    socket.addEventListener("message", (e) => {
      let message;
      try {
        message = JSON.parse(e.data);
      } catch {
        return;
      }
      this.on.message(message);
    });
    socket.addEventListener("close", (e) => {
      if (this.socket !== socket) return;
      this.socket = null;
      const wait = this.retryMs;
      this.retryMs = Math.min(RETRY_MS_MAX, this.retryMs * 2);
      this.on.close(e, wait);
      setTimeout(() => this.start(), wait);
    });
  }

  /** The connection proved healthy: the next reconnect starts with the shortest wait again. */
  healthy() {
    this.retryMs = RETRY_MS_MIN;
  }

  /** Sends a message if connected; returns whether it was sent. */
  send(message) {
    if (this.socket === null || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }
}
