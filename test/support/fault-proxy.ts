// Fault-injecting TCP proxy for tests: sits between a client and a (simulated) SSH host and can
// pass traffic, cut connections after N bytes or at a random point, stall them (forward N bytes,
// then nothing more, connection left open), add latency, or refuse.
import * as net from "node:net";

export type FaultMode = "pass" | "cutAfterBytes" | "stallAfterBytes" | "cutRandom" | "latency" | "refuse";
/** Which bytes count towards a cut: client->server ("up"), server->client ("down") or both. */
export type FaultDirection = "up" | "down" | "both";

export interface FaultOptions {
  mode: FaultMode;
  /**
   * cutAfterBytes: forward exactly this many bytes in `direction`, then cut (default 0).
   * stallAfterBytes: forward this many, then drop everything in both directions without closing.
   */
  bytes?: number;
  /** latency: delay every chunk by this many ms, per direction, preserving order (default 50): RTT = 2 × latencyMs. */
  latencyMs?: number;
  /** Direction counted by cutAfterBytes/cutRandom (default "up"). */
  direction?: FaultDirection;
  /** cutRandom: the cut point is drawn uniformly from [minBytes, maxBytes] (defaults 1..65536). */
  minBytes?: number;
  maxBytes?: number;
  /** Deterministic cutRandom: seed for the PRNG (default: Math.random). */
  seed?: number;
}

export interface FaultProxy {
  port: number;
  /** Total bytes forwarded client->server / server->client over all connections. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Connections accepted (including refused ones) and connections cut by a fault. */
  readonly connections: number;
  readonly cuts: number;
  setMode(opts: Partial<FaultOptions> & { mode: FaultMode }): void;
  stop(): Promise<void>;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startFaultProxy(
  opts: { targetHost: string; targetPort: number; listenHost?: string } & FaultOptions,
): Promise<FaultProxy> {
  let cfg: FaultOptions = { ...opts };
  let rand = cfg.seed !== undefined ? mulberry32(cfg.seed) : Math.random;
  let bytesUp = 0;
  let bytesDown = 0;
  let connections = 0;
  let cuts = 0;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    connections++;
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    const c = cfg; // a connection keeps the mode it was accepted with
    if (c.mode === "refuse") {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: opts.targetHost, port: opts.targetPort });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());

    const dir = c.direction ?? "up";
    let budget = Infinity; // bytes still allowed in the counted direction(s)
    if (c.mode === "cutAfterBytes" || c.mode === "stallAfterBytes") budget = Math.max(0, c.bytes ?? 0);
    if (c.mode === "cutRandom") {
      const lo = Math.max(1, c.minBytes ?? 1);
      const hi = Math.max(lo, c.maxBytes ?? 65536);
      budget = lo + Math.floor(rand() * (hi - lo + 1));
    }
    let cut = false;
    const doCut = () => {
      if (cut) return;
      cut = true;
      cuts++;
      if (c.mode === "stallAfterBytes") return; // keep both sockets open; forward nothing more
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    const latency = c.mode === "latency" ? Math.max(0, c.latencyMs ?? 50) : 0;

    const pipe = (from: net.Socket, to: net.Socket, isUp: boolean) => {
      const counted = dir === "both" || (dir === "up") === isUp;
      let chain = Promise.resolve();
      from.on("data", (chunk: Buffer) => {
        if (cut) return;
        let data = chunk;
        if (counted && budget !== Infinity) {
          if (data.length >= budget) {
            data = data.subarray(0, budget);
            budget = 0;
          } else budget -= data.length;
        }
        const send = () => {
          if (cut || to.destroyed) return;
          if (data.length) {
            if (isUp) bytesUp += data.length;
            else bytesDown += data.length;
            to.write(data);
          }
          if (counted && budget === 0) doCut();
        };
        if (latency > 0) {
          // A delay line: each chunk leaves `latency` ms after it arrived, in order. (Waiting
          // `latency` after the previous chunk left would also cap the bandwidth at one chunk
          // per latency, which is not what a long link does.)
          const due = Date.now() + latency;
          chain = chain.then(() => new Promise<void>((r) => setTimeout(() => (send(), r()), Math.max(0, due - Date.now()))));
        } else send();
      });
      from.on("end", () => {
        void chain.then(() => to.end());
      });
    };
    pipe(client, upstream, true);
    pipe(upstream, client, false);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, opts.listenHost ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    get bytesUp() {
      return bytesUp;
    },
    get bytesDown() {
      return bytesDown;
    },
    get connections() {
      return connections;
    },
    get cuts() {
      return cuts;
    },
    setMode(next) {
      cfg = { ...cfg, ...next };
      if (next.seed !== undefined) rand = mulberry32(next.seed);
    },
    stop() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
