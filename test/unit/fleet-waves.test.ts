/**
 * The wave engine (src/fleet/waves.ts) with scripted host outcomes: batches in order, forks
 * honoured, the stop rules applied and later hosts skipped (never started), shared-filesystem
 * peers after their installer (or skipped when it failed), resume keeping finished hosts; and the
 * live progress frame capped to the terminal.
 */
import { describe, expect, it } from "vitest";
import type { Batch, HostRecap } from "../../src/core/fleet-types";
import { silentReporter } from "../../src/fleet/types";
import { runWaves, type WaveOptions } from "../../src/fleet/waves";
import { LiveFleetProgress, plainLine } from "../../src/cli/zwh/fleet-progress";
import { checkResumable, resumeState } from "../../src/fleet/resume";

const policy = { forks: 4, maxFailPercentage: 0, continueOnBatchFailure: false };

function engine(batches: Batch[], outcome: Record<string, HostRecap["status"]>, extra: Partial<WaveOptions> = {}) {
  const started: string[] = [];
  const recorded: Array<{ host: string; status: string }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const o: WaveOptions = {
    batches, policy, targeted: batches.reduce((n, b) => n + b.hosts.length, 0), reporter: silentReporter,
    act: async (host, batch) => {
      started.push(host);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      const status = outcome[host] ?? "changed";
      return { host, batch, status, ...(status === "failed" ? { errorCode: "ZWH-X", reason: "boom" } : {}) };
    },
    verifyPeer: async (host, batch, role) => {
      started.push(host);
      return { host, batch, status: "ok", sharedWith: role };
    },
    record: async (r) => void recorded.push({ host: r.host, status: r.status }),
    ...extra,
  };
  return { o, started, recorded, maxInFlight: () => maxInFlight };
}

describe("runWaves", () => {
  it("runs batches in order with at most `forks` hosts at once, recording running then the outcome", async () => {
    const batches: Batch[] = [{ index: 0, canary: true, hosts: ["a"] }, { index: 1, canary: false, hosts: ["b", "c", "d", "e", "f", "g"] }];
    const e = engine(batches, {});
    const r = await runWaves(e.o);
    expect(r.stopped).toBeUndefined();
    expect(e.started[0]).toBe("a");
    expect(e.maxInFlight()).toBe(4);
    expect(r.hosts.map((h) => h.status)).toEqual(Array(7).fill("changed"));
    expect(e.recorded.filter((x) => x.host === "b").map((x) => x.status)).toEqual(["running", "changed"]);
  });

  it("a failed canary stops the run: later hosts are skipped with the stop's code and never started", async () => {
    const batches: Batch[] = [{ index: 0, canary: true, hosts: ["a"] }, { index: 1, canary: false, hosts: ["b", "c"] }];
    const e = engine(batches, { a: "failed" });
    const r = await runWaves(e.o);
    expect(r.stopped?.code).toBe("ZWH-FLEET-CANARY-FAILED");
    expect(e.started).toEqual(["a"]);
    expect(r.hosts.slice(1)).toMatchObject([{ host: "b", status: "skipped", errorCode: "ZWH-FLEET-CANARY-FAILED" }, { host: "c", status: "skipped" }]);
    expect(e.recorded.filter((x) => x.host === "b").map((x) => x.status)).toEqual(["skipped"]);
  });

  it("shared-filesystem peers run after their installer, or are skipped when it failed", async () => {
    const peers = new Map([["a", { group: "fs", installer: "a" }], ["b", { group: "fs", installer: "a" }], ["c", { group: "fs2", installer: "c" }], ["d", { group: "fs2", installer: "c" }]]);
    const batches: Batch[] = [{ index: 0, canary: false, hosts: ["b", "a", "d", "c"] }];
    const e = engine(batches, { c: "failed" }, { peers, policy: { ...policy, forks: 1, maxFailPercentage: 100 } });
    const r = await runWaves(e.o);
    const m = new Map(r.hosts.map((h) => [h.host, h]));
    // forks 1: installers first, so a waiting peer never holds the only fork.
    expect(e.started).toEqual(["a", "c", "b"]);
    expect(m.get("b")).toMatchObject({ status: "ok", sharedWith: { group: "fs", installer: "a" } });
    expect(m.get("d")).toMatchObject({ status: "skipped", errorCode: "ZWH-X" });
    expect(m.get("d")!.reason).toMatch(/c, which installs for the shared filesystem fs2, did not succeed/);
  });

  it("resume: finished hosts are kept and not re-run; a batch with nothing left is not judged again", async () => {
    const batches: Batch[] = [{ index: 0, canary: false, hosts: ["a", "b"] }, { index: 1, canary: false, hosts: ["c"] }];
    const done = new Map<string, HostRecap>([["a", { host: "a", batch: 0, status: "changed" }], ["b", { host: "b", batch: 0, status: "failed", errorCode: "ZWH-X" }]]);
    const e = engine(batches, {}, { done, policy: { ...policy, maxFailPercentage: 100, maxFailTotal: 5 } });
    const r = await runWaves(e.o);
    expect(e.started).toEqual(["c"]);
    expect(r.hosts.map((h) => `${h.host}:${h.status}`)).toEqual(["a:changed", "b:failed", "c:changed"]);
  });

  it("a host another controller claimed is skipped before it starts", async () => {
    const batches: Batch[] = [{ index: 0, canary: false, hosts: ["a", "b"] }];
    const e = engine(batches, {}, { admit: async (host, batch) => (host === "a" ? { host, batch, status: "skipped", errorCode: "ZWH-FLEET-CLAIMED", reason: "claimed" } : undefined) });
    const r = await runWaves(e.o);
    expect(e.started).toEqual(["b"]);
    expect(r.hosts[0]).toMatchObject({ host: "a", status: "skipped", errorCode: "ZWH-FLEET-CLAIMED" });
  });
});

describe("fleet progress", () => {
  it("the live frame for 50 hosts fits the terminal: batch rows, capped running hosts, failures kept", () => {
    const out = { write: () => true, rows: 12, columns: 60 } as unknown as NodeJS.WritableStream & { rows: number; columns: number };
    const p = new LiveFleetProgress(out);
    const hosts = Array.from({ length: 50 }, (_, i) => `lpar${i + 1}`);
    p.event({ type: "run", runId: "r1", operation: "rollout", hosts: 50, batches: [{ index: 0, canary: true, hosts: hosts.slice(0, 1) }, { index: 1, canary: false, hosts: hosts.slice(1) }] });
    for (const h of hosts.slice(1, 40)) p.event({ type: "host-start", host: h, batch: 1 });
    p.event({ type: "host-end", host: "lpar2", batch: 1, status: "failed", errorCode: "ZWH-DEPLOY-PIP", reason: "pip exited 1" });
    const f = p.frame();
    p.close();
    expect(f.length).toBeLessThanOrEqual(11);
    expect(f.every((l) => l.length <= 59)).toBe(true);
    expect(f[1]).toMatch(/^batch 0 \(canary\) · 1 host/);
    expect(f[2]).toMatch(/^batch 1 · 49 host\(s\) · 1 failed · 38 running/);
    expect(f.some((l) => /more running/.test(l))).toBe(true);
    expect(f.at(-1)).toMatch(/✗ lpar2 failed ZWH-DEPLOY-PIP/);
  });

  it("plain lines: one per host state change, step status messages not repeated", () => {
    expect(plainLine({ type: "host-step", host: "lpar7", batch: 2, step: "install" })).toBe("lpar7 batch 2 install");
    expect(plainLine({ type: "host-step", host: "lpar7", batch: 2, step: "install", message: "3/3 wheels" })).toBeUndefined();
    expect(plainLine({ type: "host-end", host: "lpar7", batch: 2, status: "failed", errorCode: "ZWH-X", reason: "why" })).toBe("lpar7 batch 2 failed ZWH-X: why");
  });
});

describe("fleet resume state", () => {
  const row = (host: string, batchNo: number, status: string, extra: Record<string, unknown> = {}) =>
    ({ runId: "r", host, status, batchNo, releaseId: null, previousReleaseId: null, errorCode: null, errorText: null, failedStep: null, startedAt: null, recordedAt: "t", ...extra }) as never;

  it("keeps changed/ok hosts, re-runs pending, running and skipped ones, and failed ones only with --retry-failed", () => {
    const rows = [row("a", 0, "changed"), row("b", 1, "ok"), row("c", 1, "failed", { errorCode: "ZWH-X" }), row("d", 1, "running"), row("e", 2, "skipped"), row("f", 2, "pending"), row("g", 2, "unreachable", { errorCode: "ZWH-SSH-UNREACHABLE" })];
    const s = resumeState(rows, false, [0]);
    expect([...s.done.keys()].sort()).toEqual(["a", "b", "c", "g"]);
    expect(s.todo).toEqual(["d", "e", "f"]);
    expect([...s.wasRunning]).toEqual(["d"]);
    expect(s.batches).toEqual([{ index: 0, canary: true, hosts: ["a"] }, { index: 1, canary: false, hosts: ["b", "c", "d"] }, { index: 2, canary: false, hosts: ["e", "f", "g"] }]);
    const r = resumeState(rows, true);
    expect(r.todo).toEqual(["c", "d", "e", "f", "g"]);
  });

  it("only fleet rollouts are resumable, with their fleet file and bundle recorded", () => {
    expect(() => checkResumable(undefined, "x", "zwh")).toThrow(/not in the inventory/);
    const run = (kind: string, strategy: unknown) => ({ id: "r", kind, startedAt: "t", finishedAt: null, status: null, exitCode: null, errorCode: null, errorText: null, failedStep: null, strategy }) as never;
    expect(() => checkResumable(run("deploy", {}), "r", "zwh")).toThrow(expect.objectContaining({ code: "ZWH-FLEET-RESUME-INVALID" }));
    expect(() => checkResumable(run("fleet", { operation: "rollback", fleetFile: "f", bundle: "b" }), "r", "zowe wh")).toThrow(expect.objectContaining({ hint: expect.stringMatching(/zowe wh fleet rollout/) }));
    expect(checkResumable(run("fleet", { operation: "rollout", fleetFile: "f", bundle: "b" }), "r", "zwh")).toMatchObject({ fleetFile: "f", bundle: "b" });
  });
});
