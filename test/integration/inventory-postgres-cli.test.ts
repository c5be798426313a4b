/**
 * The built zwh against a shared PostgreSQL inventory (a throwaway cluster) and two simulated
 * LPARs: `--inventory postgres://USER@127.0.0.1:PORT/DB` records the run (password from a libpq
 * password file, never printed); the same commands against SQLite give the same --json results;
 * hosts are named by their nodename, --name, never by host:port; two controllers deploying to
 * different hosts at the same time leave one valid event chain.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import { openStore } from "../../src/inventory";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";
import { REPO, ensureBuilt, zwh, type CliResult } from "../support/cli";
import { makeBundle, makeSigner, sampleWheels, simTarget, tmp, type Signer } from "../support/deploy";
import { freshDatabase, startPostgres, stopPostgres, type PgCluster } from "../support/postgres";

let sim: SimCluster;
let pg: PgCluster;
let work: string;
let signer: Signer;
let bundle: CreatedBundle;
let pgUrl: string;
let env: NodeJS.ProcessEnv;
/**
 * The two deploys compared must start from the same workstation state: with one shared trust-state
 * cache the second would report the sequence the first accepted (deploy JSON `sequence.accepted`).
 */
const workstation = (name: string): NodeJS.ProcessEnv => ({ ...env, ZWH_TRUST_STATE: path.join(String(env.HOME), `trust-state-${name}.json`) });

const target = (h: SimHost) => ["--host", h.host, "--port", String(h.port), "--user", h.user, "--identity", h.identityFile, "--known-hosts", h.knownHostsFile, "--python", h.pythonPath];

/** zwh as a separate process, asynchronously (two controllers at once). */
function zwhAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(REPO, "bin", "zwh.js"), ...args], { cwd: REPO, env: { ...process.env, CI: "true", ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => {
      const res: CliResult = { code: code ?? -1, stdout, stderr };
      try {
        res.json = JSON.parse(stdout);
      } catch {
        /* the test says what it expected */
      }
      resolve(res);
    });
  });
}

/** What must agree between backends: everything but ids, times and timings. */
function comparable(d: Record<string, unknown>): Record<string, unknown> {
  const { runId: _r, durationMs: _d, steps: _s, root: _root, ...rest } = d;
  return rest;
}

beforeAll(async () => {
  ensureBuilt();
  [sim, pg] = await Promise.all([startUssHosts({ hosts: 2 }), startPostgres()]);
  work = tmp("zwh-pg-cli-");
  signer = makeSigner(path.join(work, "keys"));
  bundle = await makeBundle(work, { id: "app", sequence: 1, target: await simTarget(sim.hosts[0]), signer, wheels: sampleWheels() });
  pgUrl = await freshDatabase(pg, "cli", false);
  env = { PGPASSFILE: pg.pgpassFile, HOME: work };
  for (const h of sim.hosts) {
    for (const root of ["pg", "lite", "two"]) {
      const t = zwh(["target", "trust", ...target(h), "--root", `${h.home}/${root}`, "--trust", signer.trustFile, "--json"], { env });
      expect(t.code, t.stderr).toBe(0);
    }
  }
});

afterAll(async () => {
  stopPostgres(pg);
  await sim?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("zwh with --inventory postgres://", () => {
  let pgDeploy: Record<string, unknown>;

  it("records the run in PostgreSQL, names the host by its nodename, and never prints the password", async () => {
    const h = sim.hosts[0];
    const r = zwh(["deploy", bundle.dir, ...target(h), "--root", `${h.home}/pg`, "--trust", signer.trustFile, "--inventory", pgUrl, "--json"], { env: workstation("pg") });
    expect(r.code, r.stderr).toBe(0);
    pgDeploy = r.json!;
    expect(pgDeploy).toMatchObject({ ok: true, action: "install", changed: true, host: "LPAR1" });
    for (const out of [r.stdout, r.stderr]) expect(out).not.toContain(pg.password);

    const s = await openStore(pg.url(pgUrl.split("/").pop()!, true));
    try {
      expect(s.dialect).toBe("postgres");
      expect(await s.getHost("LPAR1")).toMatchObject({ nameSource: "nodename", nodename: "LPAR1", address: "127.0.0.1", port: h.port, sshUser: h.user });
      expect(await s.getHost(`127.0.0.1:${h.port}`)).toBeUndefined();
      expect(await s.getRun(String(pgDeploy.runId))).toMatchObject({ kind: "deploy", status: "changed", exitCode: 0 });
      const st = await s.hostStatus("LPAR1", `${h.home}/pg`);
      expect(st.active?.releaseId).toBe(pgDeploy.releaseId);
      expect(await s.verifyChain()).toMatchObject({ ok: true });
    } finally {
      await s.close();
    }

    const st = zwh(["status", ...target(h), "--root", `${h.home}/pg`, "--inventory", pgUrl, "--json"], { env });
    expect(st.code, st.stderr).toBe(0);
    expect(st.json).toMatchObject({ host: "LPAR1", inventory: { lastRun: { runId: pgDeploy.runId, status: "changed" } } });
  });

  it("gives the same --json results as the SQLite inventory", () => {
    const h = sim.hosts[0];
    const db = path.join(work, "inventory.db");
    // The same target state as the PostgreSQL deploy met: without the probe cache that deploy left
    // for the host (any root), so this one probes too (targetFactsCached and the counts agree).
    const hostCache = path.join(h.home, ".wheelhouse");
    const cached = fs.readdirSync(hostCache).filter((n) => n.startsWith("host-env-"));
    expect(cached).toHaveLength(1);
    fs.rmSync(path.join(hostCache, cached[0]));
    const r = zwh(["deploy", bundle.dir, ...target(h), "--root", `${h.home}/lite`, "--trust", signer.trustFile, "--inventory", db, "--json"], { env: workstation("lite") });
    expect(r.code, r.stderr).toBe(0);
    // The two roots hold the same release: only the root itself differs.
    expect(JSON.parse(JSON.stringify(comparable(r.json!)).split(`${h.home}/lite`).join("ROOT"))).toEqual(
      JSON.parse(JSON.stringify(comparable(pgDeploy)).split(`${h.home}/pg`).join("ROOT")),
    );
    const again = (inv: string, root: string) => zwh(["status", ...target(h), "--root", `${h.home}/${root}`, "--inventory", inv, "--json"], { env });
    const a = again(db, "lite").json as { inventory: { lastRun: Record<string, unknown>; releases: Array<Record<string, unknown>> } };
    const b = again(pgUrl, "pg").json as typeof a;
    const strip = (x: typeof a) => ({ lastRun: { ...x.inventory.lastRun, runId: "", startedAt: "", finishedAt: "" }, releases: x.inventory.releases.map((r) => ({ ...r, rowId: 0, root: "", path: "", stagedAt: "", activatedAt: "", runId: "", activatedRunId: "" })) });
    expect(strip(a)).toEqual(strip(b));
  });

  it("refuses a wrong password without printing it", () => {
    const h = sim.hosts[0];
    const url = pgUrl.replace("zwh@", "zwh:not-the-password-41@");
    const r = zwh(["status", ...target(h), "--root", `${h.home}/pg`, "--inventory", url, "--json"], { env });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: { code: "ZWH-STORE-OPEN" } });
    expect(r.stdout + r.stderr).toContain("zwh:***@127.0.0.1");
    expect(r.stdout + r.stderr).not.toContain("not-the-password-41");
  });
});

describe("two controllers, one PostgreSQL store", () => {
  it("deploying to different hosts at the same time leaves one valid event chain", async () => {
    const [a, b] = sim.hosts;
    const [ra, rb] = await Promise.all([
      zwhAsync(["deploy", bundle.dir, ...target(a), "--root", `${a.home}/two`, "--trust", signer.trustFile, "--inventory", pgUrl, "--json"]),
      zwhAsync(["deploy", bundle.dir, ...target(b), "--root", `${b.home}/two`, "--trust", signer.trustFile, "--inventory", pgUrl, "--name", "plex-b", "--json"]),
    ]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(ra.json).toMatchObject({ host: "LPAR1", changed: true });
    expect(rb.json).toMatchObject({ host: "plex-b", changed: true });

    const s = await openStore(pg.url(pgUrl.split("/").pop()!, true));
    try {
      const v = await s.verifyChain();
      expect(v).toMatchObject({ ok: true });
      const events = await s.listEvents();
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
      // Both runs are in the one chain, each from start to finish.
      for (const r of [ra, rb]) {
        const mine = events.filter((e) => e.runId === r.json!.runId).map((e) => e.type);
        expect(mine[0]).toBe("run.started");
        expect(mine).toContain("release.activated");
        expect(mine.at(-1)).toBe("run.finished");
      }
      expect(await s.getHost("plex-b")).toMatchObject({ nameSource: "name", nodename: "LPAR2", port: b.port });
      expect((await s.listHosts()).map((h) => h.name)).toEqual(["LPAR1", "plex-b"]);
    } finally {
      await s.close();
    }
  });
});
