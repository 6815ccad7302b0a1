/**
 * A TCP proxy on a port of its own in front of a node's HTTP port: a second endpoint of the same
 * node, which a test can kill as if that endpoint's node had died (listener closed: new
 * connections are refused; open ones reset), while the node behind it keeps the one chain.
 */
import net from "node:net";

export class TcpProxy {
  private readonly open = new Set<net.Socket>();
  /** Connections accepted since the start. */
  accepted = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private target: { host: string; port: number },
  ) {}

  /** Listens on a free port of 127.0.0.1 and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
    const proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port, target);
    server.on("connection", (client) => proxy.forward(client));
    return proxy;
  }

  /** `http://127.0.0.1:<port>`, with `userinfo` ("user:secret@") when given. */
  url(userinfo = ""): string {
    return `http://${userinfo}127.0.0.1:${this.port}`;
  }

  /** Forwards new connections to `target` from now on (another node behind the same URL). */
  retarget(target: { host: string; port: number }): void {
    this.target = target;
  }

  /** Stops listening (new connections are refused) and resets every open connection. */
  async kill(): Promise<{ reset: number }> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const reset = this.open.size;
    for (const socket of this.open) socket.resetAndDestroy();
    await closed;
    return { reset };
  }

  private forward(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect(this.target.port, this.target.host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.open.add(a);
      a.pipe(b);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        this.open.delete(a);
        b.destroy();
      });
    }
  }
}
