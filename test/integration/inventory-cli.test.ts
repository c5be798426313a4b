/**
 * The inventory commands through the built zwh, against BOTH backends (SQLite and a real
 * throwaway PostgreSQL): list / show / history / export (json, csv, CycloneDX 1.6 validated with
 * the library's strict validator) / verify-log (detects an edited event) / sync (rebuilds a
 * host's records from its on-target receipts into an empty store).
 */
import * as CDX from "@cyclonedx/cyclonedx-library";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import { deploy } from "../../src/deploy/deploy";
import { installTargetTrust } from "../../src/deploy/trust";
import { openStore } from "../../src/inventory";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";
import { zwhAsync } from "../support/cli";
import { makeBundle, makeSigner, recordingOutput, sampleWheels, simTarget, specFor, type Signer } from "../support/deploy";
import { freshDatabase, startPostgres, stopPostgres, type PgCluster } from "../support/postgres";

let sim: SimCluster;
let h: SimHost;
let signer: Signer;
let pg: PgCluster;
let work: string;
const bundles: CreatedBundle[] = [];
let root: () => string;

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = mkdtempSync(join(tmpdir(), "zwh-inv-cli-"));
  signer = makeSigner(join(work, "keys"));
  const target = await simTarget(h);
  bundles.push(await makeBundle(work, { id: "inv", sequence: 1, target, signer, wheels: sampleWheels({ app: "1.0" }) }));
  bundles.push(await makeBundle(work, { id: "inv", sequence: 2, target, signer, wheels: sampleWheels({ app: "1.1" }) }));
  pg = await startPostgres();
  // In-process stores (the set-up deploys) find the password as the CLI does: a libpq password file.
  process.env.PGPASSFILE = pg.pgpassFile;
}, 600_000);

afterAll(async () => {
  stopPostgres(pg);
  await sim?.stop();
});

const targetArgs = () => ["--host", h.host, "--port", String(h.port), "--user", h.user, "--identity", h.identityFile, "--known-hosts", h.knownHostsFile, "--python", h.pythonPath];

describe.each(["sqlite", "postgres"] as const)("zwh inventory on %s", (backend) => {
  let loc: string;
  const env = () => (backend === "postgres" ? { PGPASSFILE: pg.pgpassFile } : {});
  const inv = (args: string[]) => zwhAsync(["inventory", ...args, "--inventory", loc, "--json"], { env: env() });
  const newLocation = async (tag: string) => (backend === "sqlite" ? join(work, `${tag}-${Math.random().toString(36).slice(2, 8)}.db`) : freshDatabase(pg, tag, false));

  beforeAll(async () => {
    // Each backend gets its own install root: the target keeps its own accepted sequences.
    root = () => `${h.home}/wh-inv-${backend}`;
    await installTargetTrust({ spec: specFor(h), root: root(), trustPath: signer.trustFile, progress: recordingOutput().progress });
    loc = await newLocation("inv");
    const store = await openStore(loc);
    try {
      for (const b of bundles) {
        const out = recordingOutput();
        await deploy({ spec: specFor(h), root: root(), progress: out.progress, warn: out.warn, store, trustPath: signer.trustFile, bundleDir: b.dir });
      }
    } finally {
      await store.close();
    }
  }, 600_000);

  it("list: the active release with its bundle, signer and who deployed it; --package filters", async () => {
    const r = await inv(["list"]);
    expect(r.code).toBe(0);
    const rows = (r.json as { deployments: Array<Record<string, unknown>> }).deployments;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ root: root(), bundleId: "inv", bundleSequence: 2, signers: ["release-bot"] });
    expect(String(rows[0].activatedBy)).not.toBe("");
    expect((rows[0].packages as Array<{ name: string; version: string }>).find((p) => p.name === "zwhdemo-app")?.version).toBe("1.1");
    expect(((await inv(["list", "--package", "ZWHDEMO_lib"])).json as { deployments: unknown[] }).deployments).toHaveLength(1);
    expect(((await inv(["list", "--package", "nothere"])).json as { deployments: unknown[] }).deployments).toHaveLength(0);
  });

  it("show and history: releases per root and the events over time", async () => {
    const host = ((await inv(["list"])).json as { deployments: Array<{ host: string }> }).deployments[0].host;
    const s = await inv(["show", host]);
    expect(s.code).toBe(0);
    const roots = (s.json as { roots: Array<{ root: string; active: { releaseId: string }; previous: { releaseId: string } }> }).roots;
    expect(roots[0].active.releaseId).toMatch(/^inv-/);
    expect(roots[0].previous.releaseId).toMatch(/^inv-/);
    const unknown = await inv(["show", "no-such-lpar"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr + unknown.stdout).toMatch(/ZWH-STORE-UNKNOWN-HOST/);
    const hist = await inv(["history", "--host", host]);
    const types = (hist.json as { events: Array<{ type: string }> }).events.map((e) => e.type);
    expect(types.filter((t) => t === "release.activated")).toHaveLength(2);
    expect(((await inv(["history", "--since", "2999-01-01"])).json as { events: unknown[] }).events).toHaveLength(0);
    expect((await inv(["history", "--since", "yesterday"])).code).toBe(1);
  });

  it("export: csv rows per package; cyclonedx per host release validates against CycloneDX 1.6", async () => {
    const csvFile = join(work, `${backend}.csv`);
    expect((await inv(["export", "--format", "csv", "--out", csvFile])).code).toBe(0);
    const csv = readFileSync(csvFile, "utf8").trim().split("\r\n");
    expect(csv[0]).toBe("host,address,root,release,bundle,bundle_sequence,bundle_digest,signers,activated_at,activated_by,package,version,wheel_sha256");
    expect(csv).toHaveLength(4);
    const dir = join(work, `sbom-${backend}`);
    expect((await inv(["export", "--format", "cyclonedx", "--out", dir])).code).toBe(0);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const text = readFileSync(join(dir, files[0]), "utf8");
    const err = await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(text);
    expect(err).toBeNull();
    const bom = JSON.parse(text) as { components: Array<{ purl: string; hashes: Array<{ alg: string }> }>; dependencies: Array<{ ref: string; dependsOn?: string[] }> };
    expect(bom.components.map((c) => c.purl).sort()).toEqual([
      "pkg:pypi/zwhdemo-app@1.1?file_name=zwhdemo_app-1.1-py3-none-any.whl",
      "pkg:pypi/zwhdemo-lib@1.0?file_name=zwhdemo_lib-1.0-py3-none-any.whl",
      "pkg:pypi/zwhdemo-util@1.0?file_name=zwhdemo_util-1.0-py3-none-any.whl",
    ]);
    expect(bom.components.every((c) => c.hashes.some((x) => x.alg === "SHA-256"))).toBe(true);
    expect(bom.dependencies.find((d) => d.ref.startsWith("pkg:pypi/zwhdemo-app@"))?.dependsOn).toEqual([expect.stringMatching(/^pkg:pypi\/zwhdemo-lib@1\.0/)]);
  });

  it("sync rebuilds the host's records from its receipts into an empty store", async () => {
    const fresh = await newLocation("sync");
    const s = await zwhAsync(["inventory", "sync", ...targetArgs(), "--root", root(), "--name", "lpar-sync", "--inventory", fresh, "--json"], { env: env() });
    expect(s.stderr).not.toMatch(/ZWH-/);
    expect(s.code).toBe(0);
    const rel = (s.json as { releases: Array<{ state: string; bundleId: string }> }).releases;
    expect(rel.map((x) => x.state).sort()).toEqual(["active", "previous"]);
    const l = await zwhAsync(["inventory", "list", "--inventory", fresh, "--json"], { env: env() });
    const rows = (l.json as { deployments: Array<Record<string, unknown>> }).deployments;
    expect(rows).toEqual([expect.objectContaining({ host: "lpar-sync", bundleId: "inv", bundleSequence: 2 })]);
    expect((await zwhAsync(["inventory", "verify-log", "--inventory", fresh, "--json"], { env: env() })).code).toBe(0);
  });

  it("drift records its findings in this backend: first sighting kept across runs, resolved when gone", async () => {
    const drift = (extra: string[] = []) => zwhAsync(["drift", ...targetArgs(), "--root", root(), "--inventory", loc, "--json", ...extra], { env: env() });
    const clean = await drift();
    expect(clean.stderr).not.toMatch(/ZWH-/);
    expect(clean.code).toBe(0);
    const lib = join(root(), "current", "venv", "lib");
    const sp = join(lib, readdirSync(lib).find((n) => n.startsWith("python3"))!, "site-packages");
    const planted = join(sp, `zz-${backend}.pth`);
    writeFileSync(planted, "import os\n");
    try {
      const one = await drift();
      expect(one.code).toBe(2);
      const f1 = (one.json as { findings: Array<{ subject: string; severity: string; firstSeen: string }> }).findings.find((f) => f.subject === `zz-${backend}.pth`)!;
      expect(f1.severity).toBe("high");
      const two = await drift();
      const f2 = (two.json as { findings: Array<{ subject: string; firstSeen: string }> }).findings.find((f) => f.subject === `zz-${backend}.pth`)!;
      expect(f2.firstSeen).toBe(f1.firstSeen);
    } finally {
      rmSync(planted);
    }
    expect((await drift()).code).toBe(0);
    const host = ((await inv(["list"])).json as { deployments: Array<{ host: string }> }).deployments[0].host;
    const shown = (await inv(["show", host])).json as { openFindings: unknown[] };
    expect(shown.openFindings).toEqual([]);
  });

  it("verify-log: intact, then an edited event is named", async () => {
    const ok = await inv(["verify-log"]);
    expect(ok.code).toBe(0);
    expect(ok.json).toMatchObject({ ok: true });
    await tamperSecondEvent(backend, loc);
    const bad = await inv(["verify-log"]);
    expect(bad.code).toBe(3);
    expect(bad.json).toMatchObject({ ok: false, brokenAt: 2 });
  });
});

/** Edit event #2's payload behind the store's back (dropping the append-only guard first). */
async function tamperSecondEvent(backend: "sqlite" | "postgres", loc: string): Promise<void> {
  if (backend === "sqlite") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require("better-sqlite3") as typeof import("better-sqlite3");
    const db = new Database(loc);
    db.exec("DROP TRIGGER IF EXISTS events_no_update");
    db.prepare("UPDATE events SET payload = json_set(payload, '$.tampered', 1) WHERE seq = 2").run();
    db.close();
    return;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("pg") as typeof import("pg");
  const c = new Client({ connectionString: loc, password: pg.password });
  await c.connect();
  try {
    await c.query("ALTER TABLE events DISABLE TRIGGER USER");
    await c.query("UPDATE events SET payload = jsonb_set(payload::jsonb, '{tampered}', '1')::text WHERE seq = 2");
  } finally {
    await c.end();
  }
}
