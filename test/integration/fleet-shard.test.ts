/**
 * Several controllers on one PostgreSQL inventory: `--shard 1/2` and `--shard 2/2` run at the
 * same time over one fleet and together deploy every host exactly once; a host another run has
 * claimed in the store is skipped (ZWH-FLEET-CLAIMED) and never contacted.
 */
import { chmodSync, readlinkSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import type { FleetRecap } from "../../src/core/fleet-types";
import { installTargetTrust } from "../../src/deploy/trust";
import { openStore } from "../../src/inventory";
import { cpuMark, readCpuRecords, startUssHosts, type SimCluster, type SimHost } from "../sim";
import { ensureBuilt, zwhAsync } from "../support/cli";
import { makeBundle, makeSigner, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";
import { freshDatabase, startPostgres, stopPostgres, type PgCluster } from "../support/postgres";

let sim: SimCluster;
let H: SimHost[];
let work: string;
let signer: Signer;
let v1: CreatedBundle;
let pg: PgCluster;

const rootOf = (h: SimHost, tag: string) => `${h.home}/wh-${tag}`;

function fleetFile(tag: string): string {
  const targets: Record<string, unknown> = {};
  for (const h of H) targets[h.name] = { host: h.host, port: h.port, user: h.user, identity: h.identityFile, knownHosts: h.knownHostsFile, python: h.pythonPath, root: rootOf(h, tag) };
  const f = join(work, `fleet-${tag}.yaml`);
  writeFileSync(f, JSON.stringify({ defaults: { trust: signer.trustFile }, targets, rollout: { serial: ["100%"], forks: 6 } }, null, 2));
  return f;
}

async function rollout(args: string[], inventory: string): Promise<{ code: number; recap: FleetRecap; stderr: string }> {
  const r = await zwhAsync(["fleet", "rollout", v1.dir, ...args, "--inventory", inventory, "--yes", "--json"], { env: { HOME: work, ZWH_TRUST_STATE: join(work, `state-${Math.random()}.json`) } });
  return { code: r.code, recap: r.json as unknown as FleetRecap, stderr: r.stderr };
}

beforeAll(async () => {
  ensureBuilt();
  sim = await startUssHosts({ hosts: 6 });
  H = sim.hosts;
  work = tmp("zwh-fleet-shard-");
  chmodSync(work, 0o755);
  signer = makeSigner(join(work, "keys"));
  v1 = await makeBundle(work, { id: "shardapp", sequence: 1, target: await simTarget(H[0]!), signer, wheels: sampleWheels({ app: "1.0" }) });
  pg = await startPostgres();
  process.env.PGPASSFILE = pg.pgpassFile;
  await Promise.all(H.map((h) => installTargetTrust({ spec: specFor(h), root: rootOf(h, "shard"), trustPath: signer.trustFile, progress: recordingOutput().progress })));
}, 900_000);

afterAll(async () => {
  stopPostgres(pg);
  await sim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("fleet rollout on a shared PostgreSQL inventory", () => {
  it("--shard 1/2 and --shard 2/2 at the same time cover the fleet exactly once", async () => {
    const inventory = await freshDatabase(pg, "shard", false);
    const f = fleetFile("shard");
    const [a, b] = await Promise.all([rollout(["--fleet", f, "--shard", "1/2"], inventory), rollout(["--fleet", f, "--shard", "2/2"], inventory)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ha = a.recap.hosts.map((h) => h.host);
    const hb = b.recap.hosts.map((h) => h.host);
    expect(ha.length).toBeGreaterThan(0);
    expect(hb.length).toBeGreaterThan(0);
    expect(ha.filter((h) => hb.includes(h))).toEqual([]);
    expect([...ha, ...hb].sort()).toEqual(H.map((h) => h.name).sort());
    for (const r of [...a.recap.hosts, ...b.recap.hosts]) expect(r.status).toBe("changed");
    const rel = a.recap.hosts[0]!.releaseId!;
    for (const h of H) expect(readlinkSync(join(rootOf(h, "shard"), "current"))).toBe(`releases/${rel}`);
    const store = await openStore(inventory);
    try {
      const ra = (await store.listRunHosts(a.recap.runId)).map((x) => x.host).sort();
      const rb = (await store.listRunHosts(b.recap.runId)).map((x) => x.host).sort();
      expect(ra).toEqual([...ha].sort());
      expect(rb).toEqual([...hb].sort());
      // Claims are dropped when a run ends.
      const claims = (await store.listEvents()).filter((e) => e.type === "fleet.claim");
      expect(claims.map((e) => e.host).sort()).toEqual(H.map((h) => h.name).sort());
    } finally {
      await store.close();
    }
  }, 900_000);

  it("a host claimed by another run in the store is skipped with ZWH-FLEET-CLAIMED and never contacted", async () => {
    const inventory = await freshDatabase(pg, "claim", false);
    const f = fleetFile("shard");
    const store = await openStore(inventory);
    let other: string;
    try {
      other = await store.startRun("fleet", { strategy: { operation: "rollout" } });
      await store.upsertHost({ name: H[0]!.name, address: H[0]!.host, port: H[0]!.port });
      expect(await store.claimHost(H[0]!.name, other, 3600, "other-controller:1")).toEqual({ claimed: true });
    } finally {
      await store.close();
    }
    const mark = cpuMark(H[0]!);
    const r = await rollout(["--fleet", f, "--limit", `${H[0]!.name},${H[1]!.name}`], inventory);
    // A skipped host does not have the bundle: exit 2, so a CI job does not pass.
    expect(r.code, r.stderr).toBe(2);
    const m = new Map(r.recap.hosts.map((h) => [h.host, h]));
    expect(m.get(H[0]!.name)).toMatchObject({ status: "skipped", errorCode: "ZWH-FLEET-CLAIMED" });
    expect(m.get(H[0]!.name)!.reason).toContain(other);
    expect(m.get(H[1]!.name)?.status).toBe("unchanged");
    expect(readCpuRecords(H[0]!, mark)).toEqual([]);
  }, 600_000);
});
