/**
 * JSON-RPC over a node's IPC socket (a Unix domain socket): how the gateway reaches its embedded
 * node, which has no TCP port anyone else can reach (see node.ts).
 *
 * anvil answers each JSON text written to a connection with one line (compact JSON, then "\n"),
 * possibly out of order when several are in flight on one connection. So a connection here
 * carries ONE request at a time, as an HTTP keep-alive connection does: no ids to rewrite, and
 * the answer is complete at its newline. Connections are pooled; an idle one does not keep the
 * process alive.
 *
 * ethers' IpcSocketProvider is not used: it copies its whole receive buffer on every chunk
 * (quadratic in an answer's size: an anvil_dumpState of hundreds of MB never completes), leaves
 * socket errors unhandled (a node that dies would crash the gateway) and never fails the
 * requests in flight when the connection closes.
 */
import net from "node:net";
import { Transform, type Readable, type TransformCallback } from "node:stream";

const NEWLINE = 0x0a;
/** Idle connections kept for reuse; more are opened under load and closed once answered. */
const IDLE_KEPT = 16;

/** The longest path a Unix domain socket can have on Linux (sun_path is 108 bytes, NUL included). */
export const MAX_SOCKET_PATH_BYTES = 107;

export class IpcClient {
  private readonly idle: net.Socket[] = [];
  private readonly busy = new Set<net.Socket>();
  private closed = false;

  constructor(readonly path: string) {}

  /** Sends one JSON-RPC text (a call or a batch); resolves with the node's answer, undecoded. */
  async request(body: string, timeoutMs: number): Promise<Buffer> {
    if (this.closed) throw new Error(`IPC client for ${this.path} is closed`);
    const socket = this.idle.pop() ?? (await this.connect(timeoutMs));
    this.busy.add(socket);
    socket.ref();
    try {
      const answer = await exchange(socket, body, timeoutMs);
      this.release(socket);
      return answer;
    } catch (err) {
      this.busy.delete(socket);
      socket.destroy();
      throw err;
    }
  }

  /**
   * Sends one call on a connection of its own and resolves, once the node starts answering,
   * with the answer as a stream that ends at its newline: for answers too big to hold in memory
   * (anvil_dumpState). `timeoutMs` bounds the wait for the first byte and every pause after it.
   */
  async stream(body: string, timeoutMs: number): Promise<Readable> {
    const socket = await connectSocket(this.path, timeoutMs);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer on ${this.path} for ${timeoutMs} ms`)));
    return new Promise<Readable>((resolve, reject) => {
      let handedOut = false;
      const answer = new UntilNewline(
        () => {
          handedOut = true;
          resolve(answer);
        },
        () => {
          socket.unpipe(answer);
          socket.destroy();
          answer.end();
        },
      );
      // Before the first byte the promise carries a failure; after it, the stream does.
      const fail = (err: Error) => {
        if (!handedOut) {
          reject(err);
          answer.destroy();
        } else if (!answer.complete) {
          answer.destroy(err);
        }
      };
      socket.on("error", fail);
      socket.on("close", () => fail(new Error(`${this.path} closed the connection before the answer's end`)));
      socket.pipe(answer);
      socket.write(body + "\n");
    });
  }

  /** Closes every connection; requests in flight fail. */
  close(): void {
    this.closed = true;
    for (const socket of [...this.idle, ...this.busy]) socket.destroy();
    this.idle.length = 0;
    this.busy.clear();
  }

  private async connect(timeoutMs: number): Promise<net.Socket> {
    const socket = await connectSocket(this.path, timeoutMs);
    // A connection the node closes while idle is dropped from the pool; errors never go unheard.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const i = this.idle.indexOf(socket);
      if (i >= 0) this.idle.splice(i, 1);
      this.busy.delete(socket);
    });
    return socket;
  }

  private release(socket: net.Socket): void {
    this.busy.delete(socket);
    if (this.closed || socket.destroyed || this.idle.length >= IDLE_KEPT) {
      socket.destroy();
      return;
    }
    socket.unref();
    this.idle.push(socket);
  }
}

/** Opens a connection to the socket at `path`; fails after `timeoutMs`. */
export function connectSocket(path: string, timeoutMs: number): Promise<net.Socket> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    return Promise.reject(new Error(`the socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes`));
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path });
    const timer = setTimeout(() => socket.destroy(new Error(`connecting to ${path} timed out after ${timeoutMs} ms`)), timeoutMs);
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
  });
}

/** Writes `body` and collects the answer up to its newline (each chunk scanned once). */
function exchange(socket: net.Socket, body: string, timeoutMs: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const done = (err?: Error, answer?: Buffer) => {
      clearTimeout(timer);
      socket.off("data", onData).off("error", onError).off("close", onClose);
      if (err) reject(err);
      else resolve(answer!);
    };
    const onData = (chunk: Buffer) => {
      const end = chunk.indexOf(NEWLINE);
      if (end < 0) {
        chunks.push(chunk);
        return;
      }
      if (end !== chunk.length - 1) return done(new Error("the node answered more than it was asked"));
      chunks.push(chunk.subarray(0, end));
      done(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    const onError = (err: Error) => done(err);
    const onClose = () => done(new Error("the node closed the connection before answering"));
    const timer = setTimeout(() => done(new Error(`the node did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on("data", onData).on("error", onError).on("close", onClose);
    socket.write(body + "\n");
  });
}

/** Passes bytes through up to the first newline, then ends; calls `onFirst` at the first byte and `onEnd` at the newline. */
class UntilNewline extends Transform {
  complete = false;
  private started = false;

  constructor(
    private readonly onFirst: () => void,
    private readonly onEnd: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.complete) return done();
    if (!this.started) {
      this.started = true;
      this.onFirst();
    }
    const end = chunk.indexOf(NEWLINE);
    if (end < 0) return done(null, chunk);
    this.complete = true;
    this.push(chunk.subarray(0, end));
    this.push(null);
    this.onEnd();
    done();
  }

  override _flush(done: TransformCallback): void {
    done(this.complete ? undefined : new Error("the node's answer was cut short"));
  }
}
