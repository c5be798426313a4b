// The fault-injecting TCP proxy (test/support/fault-proxy.ts) between real ssh/sftp clients and a
// simulated host.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SimCluster, type SimHost, simExec, simSftp, startUssHosts } from "../sim/index";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy";

let sim: SimCluster;
let h: SimHost;
let local: string;
let big: Buffer;

beforeAll(async () => {
  sim = await startUssHosts();
  h = sim.hosts[0];
  local = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-sim-fp-"));
  big = Buffer.alloc(512 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 8)) & 0xff;
  fs.writeFileSync(path.join(local, "big.bin"), big);
});

afterAll(async () => {
  await sim?.stop();
  if (local) fs.rmSync(local, { recursive: true, force: true });
});

async function withProxy<T>(opts: Parameters<typeof startFaultProxy>[0], fn: (p: FaultProxy) => Promise<T>) {
  const p = await startFaultProxy(opts);
  try {
    return await fn(p);
  } finally {
    await p.stop();
  }
}

const target = () => ({ targetHost: h.host, targetPort: h.port });

describe("fault proxy", () => {
  it("pass: exec and an SFTP upload work and bytes are counted", async () => {
    await withProxy({ ...target(), mode: "pass" }, async (p) => {
      const r = await simExec(h, "uname -s", { port: p.port });
      expect(r.stdout).toBe("OS/390\n");
      const up = await simSftp(h, `put ${path.join(local, "big.bin")} pass.bin`, { port: p.port });
      expect(up.code).toBe(0);
      expect(fs.readFileSync(path.join(h.home, "pass.bin")).equals(big)).toBe(true);
      expect(p.bytesUp).toBeGreaterThan(big.length);
      expect(p.bytesDown).toBeGreaterThan(0);
      expect(p.cuts).toBe(0);
    });
  });

  it("cutAfterBytes (client->server) breaks an upload and forwards exactly N bytes", async () => {
    await withProxy({ ...target(), mode: "cutAfterBytes", bytes: 100_000, direction: "up" }, async (p) => {
      const up = await simSftp(h, `put ${path.join(local, "big.bin")} cut.bin`, { port: p.port });
      expect(up.code).not.toBe(0);
      expect(p.bytesUp).toBe(100_000);
      expect(p.cuts).toBe(1);
      const st = fs.existsSync(path.join(h.home, "cut.bin")) ? fs.statSync(path.join(h.home, "cut.bin")).size : 0;
      expect(st).toBeLessThan(big.length);
    });
  });

  it("cutAfterBytes (server->client) breaks a session during the handshake", async () => {
    await withProxy({ ...target(), mode: "cutAfterBytes", bytes: 10, direction: "down" }, async (p) => {
      const r = await simExec(h, "echo never", { port: p.port });
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(p.bytesDown).toBe(10);
    });
  });

  it("cutRandom cuts somewhere inside the configured window", async () => {
    await withProxy(
      { ...target(), mode: "cutRandom", minBytes: 20_000, maxBytes: 200_000, seed: 7, direction: "up" },
      async (p) => {
        const up = await simSftp(h, `put ${path.join(local, "big.bin")} rnd.bin`, { port: p.port });
        expect(up.code).not.toBe(0);
        expect(p.bytesUp).toBeGreaterThanOrEqual(20_000);
        expect(p.bytesUp).toBeLessThanOrEqual(200_000);
      },
    );
  });

  it("latency: slow but intact", async () => {
    await withProxy({ ...target(), mode: "latency", latencyMs: 20 }, async (p) => {
      const up = await simSftp(h, `put ${path.join(local, "big.bin")} slow.bin`, { port: p.port });
      expect(up.code).toBe(0);
      expect(fs.readFileSync(path.join(h.home, "slow.bin")).equals(big)).toBe(true);
    });
  });

  it("refuse: connections fail; setMode switches behaviour for new connections", async () => {
    await withProxy({ ...target(), mode: "refuse" }, async (p) => {
      const r = await simExec(h, "echo hi", { port: p.port });
      expect(r.code).toBe(255);
      expect(p.connections).toBe(1);
      p.setMode({ mode: "pass" });
      const ok = await simExec(h, "echo hi", { port: p.port });
      expect(ok.stdout).toBe("hi\n");
      expect(p.connections).toBe(2);
    });
  });
});
