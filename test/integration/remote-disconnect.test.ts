/**
 * The SSH transport when the TCP connection dies or stalls mid-transfer (fault proxy between
 * ssh2 and the simulator's real sshd). Every SFTP operation must settle with a coded error:
 * ZWH-SSH-DISCONNECTED (transient) when the connection is cut, ZWH-SSH-TIMEOUT when an upload
 * makes no progress. No timing is asserted; the vitest timeout is the backstop against a hang.
 */
import { randomBytes } from "crypto";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { connectTarget, type RemoteSession } from "../../src/remote/connection";
import type { TargetSpec } from "../../src/remote/target";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";
import { startFaultProxy, type FaultOptions, type FaultProxy } from "../support/fault-proxy";

let sim: SimCluster;
let h: SimHost;
let work: string;
let bigFile: string;
const BIG = 20 * 1024 * 1024;

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = mkdtempSync(join(tmpdir(), "zwh-rdc-"));
  bigFile = join(work, "big.bin");
  writeFileSync(bigFile, randomBytes(BIG));
});

afterAll(async () => {
  await sim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A session through a fresh fault proxy (host key pinned: the proxy's port is not in known_hosts). */
async function viaProxy(fault: FaultOptions, extra: Partial<TargetSpec> = {}): Promise<{ s: RemoteSession; proxy: FaultProxy }> {
  const proxy = await startFaultProxy({ targetHost: h.host, targetPort: h.port, ...fault });
  const s = await connectTarget({
    host: h.host, port: proxy.port, user: h.user, identityFile: h.identityFile, hostKey: h.hostKeyFingerprint, pythonPath: h.pythonPath, ...extra,
  });
  return { s, proxy };
}

async function rejection(p: Promise<unknown>): Promise<ZwhError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ZwhError);
    return e as ZwhError;
  }
  throw new Error("expected the operation to reject");
}

describe("SFTP when the connection is cut mid-transfer", () => {
  it("upload of 20 MB rejects with ZWH-SSH-DISCONNECTED (transient); later operations too", async () => {
    // The handshake and a few MB go through, then both sockets are reset.
    const { s, proxy } = await viaProxy({ mode: "cutAfterBytes", bytes: 3_000_000, direction: "up" });
    try {
      await s.mkdirp(`${h.home}/cut`);
      let progressed = 0;
      const e = await rejection(s.upload(bigFile, `${h.home}/cut/big.bin`, { onProgress: (p) => (progressed = p.transferred) }));
      expect(e.code).toBe("ZWH-SSH-DISCONNECTED");
      expect(e.transient).toBe(true);
      expect(proxy.cuts).toBe(1);
      expect(progressed).toBeLessThan(BIG);
      expect((await rejection(s.stat(`${h.home}/cut`))).code).toBe("ZWH-SSH-DISCONNECTED");
      expect((await rejection(s.readFile(`${h.home}/cut/big.bin`))).code).toBe("ZWH-SSH-DISCONNECTED");
      expect((await rejection(s.writeFile(`${h.home}/cut/x`, "x"))).code).toBe("ZWH-SSH-DISCONNECTED");
      expect((await rejection(s.exec(["true"]))).code).toBe("ZWH-SSH-DISCONNECTED");
    } finally {
      await s.close();
      await proxy.stop();
    }
  });

  it("uploadMany rejects with ZWH-SSH-DISCONNECTED, as do SFTP requests in flight with it", async () => {
    const files = Array.from({ length: 6 }, (_, i) => {
      const p = join(work, `many-${i}.bin`);
      writeFileSync(p, randomBytes(2 * 1024 * 1024 + i));
      return { localPath: p, remotePath: `${h.home}/cutmany/m${i}.bin` };
    });
    const { s, proxy } = await viaProxy({ mode: "cutAfterBytes", bytes: 5_000_000, direction: "up" });
    try {
      await s.mkdirp(`${h.home}/cutmany`);
      let done = 0;
      const many = s.uploadMany(files, { concurrency: 3, onProgress: (p) => (done = p.filesDone) });
      // Metadata requests issued while the transfer runs must settle too, not hang.
      const stats = Promise.allSettled(Array.from({ length: 20 }, () => s.stat(`${h.home}/cutmany`)));
      const e = await rejection(many);
      expect(e.code).toBe("ZWH-SSH-DISCONNECTED");
      expect(e.transient).toBe(true);
      expect(done).toBeLessThan(files.length);
      for (const r of await stats) {
        if (r.status === "rejected") expect((r.reason as ZwhError).code).toBe("ZWH-SSH-DISCONNECTED");
      }
      expect((await rejection(s.stat(`${h.home}/cutmany`))).code).toBe("ZWH-SSH-DISCONNECTED");
    } finally {
      await s.close();
      await proxy.stop();
    }
  });

  it("download rejects with ZWH-SSH-DISCONNECTED when the server→client stream is cut", async () => {
    const direct = await connectTarget({ host: h.host, port: h.port, user: h.user, identityFile: h.identityFile, knownHostsFile: h.knownHostsFile });
    try {
      await direct.mkdirp(`${h.home}/down`);
      await direct.upload(bigFile, `${h.home}/down/big.bin`);
    } finally {
      await direct.close();
    }
    const { s, proxy } = await viaProxy({ mode: "cutAfterBytes", bytes: 4_000_000, direction: "down" });
    try {
      const e = await rejection(s.download(`${h.home}/down/big.bin`, join(work, "down.bin")));
      expect(e.code).toBe("ZWH-SSH-DISCONNECTED");
    } finally {
      await s.close();
      await proxy.stop();
    }
  });
});

describe("SFTP when the connection stalls mid-upload", () => {
  it("an upload with no progress for the inactivity timeout rejects with ZWH-SSH-TIMEOUT", async () => {
    // Keepalives off, so only the upload's own inactivity timeout can end the wait.
    const { s, proxy } = await viaProxy({ mode: "stallAfterBytes", bytes: 3_000_000, direction: "up" }, { keepaliveIntervalMs: 0 });
    try {
      await s.mkdirp(`${h.home}/stall`);
      const e = await rejection(s.upload(bigFile, `${h.home}/stall/big.bin`, { inactivityTimeoutMs: 2000 }));
      expect(e.code).toBe("ZWH-SSH-TIMEOUT");
      expect(e.transient).toBe(true);
      expect(e.message).toMatch(/no progress/);
      expect(proxy.cuts).toBe(1);
    } finally {
      await s.close();
      await proxy.stop();
    }
  });

  it("uploadMany passes its inactivity timeout to each file", async () => {
    const files = Array.from({ length: 3 }, (_, i) => {
      const p = join(work, `stall-${i}.bin`);
      writeFileSync(p, randomBytes(3 * 1024 * 1024));
      return { localPath: p, remotePath: `${h.home}/stallmany/s${i}.bin` };
    });
    const { s, proxy } = await viaProxy({ mode: "stallAfterBytes", bytes: 4_000_000, direction: "up" }, { keepaliveIntervalMs: 0 });
    try {
      await s.mkdirp(`${h.home}/stallmany`);
      const e = await rejection(s.uploadMany(files, { concurrency: 2, inactivityTimeoutMs: 2000 }));
      expect(e.code).toBe("ZWH-SSH-TIMEOUT");
    } finally {
      await s.close();
      await proxy.stop();
    }
  });
});
