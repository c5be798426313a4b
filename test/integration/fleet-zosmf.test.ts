/**
 * A fleet with targets reached over z/OSMF (transport: zosmf) beside an SSH target, through the
 * built zwh against two simulated LPARs (the second with the simulated z/OSMF): one z/OSMF
 * target by its zosmf* fields (password from the named environment variable), one by a Zowe
 * zosmf profile from the team config. `zwh fleet rollout` deploys all three; the z/OSMF hosts'
 * install roots then hold the release, and `fleet status` reads them back over z/OSMF.
 */
import { chmodSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import type { FleetRecap } from "../../src/core/fleet-types";
import { installTargetTrust } from "../../src/deploy/trust";
import type { TargetSpec } from "../../src/remote/target";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";
import { ensureBuilt, zwhAsync } from "../support/cli";
import { makeBundle, makeSigner, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeZoweConfig } = require("../../profiles/generate-zowe-config.js");

let sim: SimCluster;
let a: SimHost;
let z: SimHost;
let work: string;
let zoweHome: string;
let signer: Signer;
let v1: CreatedBundle;

const root = (h: SimHost, tag: string) => `${h.home}/wh-fleet-${tag}`;
const ENV = () => ({ HOME: work, ZOWE_CLI_HOME: zoweHome, ZWH_FLEET_ZOSMF_PW: z.zosmf!.password, ZWH_TRUST_STATE: join(work, "trust-state.json") });

function zosmfSpec(): TargetSpec {
  const s = z.zosmf!;
  return { host: s.host, port: s.port, user: s.user, pythonPath: z.pythonPath, transport: "zosmf", zosmf: { host: s.host, port: s.port, user: s.user, password: s.password, caFile: s.caFile } };
}

function current(r: string): string | null {
  try {
    return readlinkSync(join(r, "current"));
  } catch {
    return null;
  }
}

beforeAll(async () => {
  ensureBuilt();
  sim = await startUssHosts({ hosts: 2, zosmf: true });
  [a, z] = sim.hosts;
  work = tmp("zwh-fleet-zosmf-");
  chmodSync(work, 0o755);
  signer = makeSigner(join(work, "keys"));
  v1 = await makeBundle(work, { id: "fleetz", sequence: 1, target: await simTarget(a), signer, wheels: sampleWheels({ app: "1.0" }) });
  // A headless Zowe team config (plain-text credentials, as in CI) with the simulator's zosmf profiles.
  zoweHome = join(work, "zowe-home");
  mkdirSync(join(zoweHome, "settings"), { recursive: true });
  writeFileSync(join(zoweHome, "settings", "imperative.json"), JSON.stringify({ overrides: { CredentialManager: false } }));
  // No schema: building it loads @zowe/cli, whose ssh2 1.15 aborts Node after ours was loaded here.
  writeZoweConfig(sim.hosts, join(zoweHome, "zowe.config.json"), { schema: false });
  const progress = recordingOutput().progress;
  await installTargetTrust({ spec: specFor(a), root: root(a, "ssh"), trustPath: signer.trustFile, progress });
  for (const tag of ["flags", "profile"]) await installTargetTrust({ spec: zosmfSpec(), root: root(z, tag), trustPath: signer.trustFile, progress });
}, 600_000);

afterAll(async () => {
  await sim?.stop();
});

describe("zwh fleet with transport: zosmf targets", { timeout: 900_000 }, () => {
  it("rolls out to an SSH target and two z/OSMF targets (zosmf* fields, and a zosmf profile); fleet status reads them back", async () => {
    const s = z.zosmf!;
    const doc = {
      defaults: { trust: signer.trustFile, python: a.pythonPath },
      targets: {
        ssh1: { host: a.host, port: a.port, user: a.user, identity: a.identityFile, knownHosts: a.knownHostsFile, root: root(a, "ssh") },
        zflags: { transport: "zosmf", zosmfHost: s.host, zosmfPort: s.port, zosmfUser: s.user, zosmfPasswordEnv: "ZWH_FLEET_ZOSMF_PW", zosmfCaFile: s.caFile, python: z.pythonPath, root: root(z, "flags") },
        zprof: { transport: "zosmf", zosmfProfile: `${z.name}_zosmf`, zosmfCaFile: s.caFile, python: z.pythonPath, root: root(z, "profile") },
      },
      rollout: { serial: ["100%"], forks: 3 },
    };
    const f = join(work, "fleet.yaml");
    writeFileSync(f, JSON.stringify(doc, null, 2) + "\n");
    const inventory = join(work, "inventory.db");

    const r = await zwhAsync(["fleet", "rollout", v1.dir, "--fleet", f, "--yes", "--inventory", inventory, "--json"], { env: ENV() });
    const recap = r.json as unknown as FleetRecap;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const byHost = new Map(recap.hosts.map((h) => [h.host, h]));
    for (const h of ["ssh1", "zflags", "zprof"]) expect(byHost.get(h), h).toMatchObject({ status: "changed" });
    const release = byHost.get("ssh1")!.releaseId;
    expect(byHost.get("zflags")!.releaseId).toBe(release);
    expect(current(root(z, "flags"))).toBe(`releases/${release}`);
    expect(current(root(z, "profile"))).toBe(`releases/${release}`);
    expect(current(root(a, "ssh"))).toBe(`releases/${release}`);
    // The password travelled only through the environment.
    expect(readFileSync(f, "utf8")).not.toContain(s.password);
    expect(r.stdout + r.stderr).not.toContain(s.password);

    const st = await zwhAsync(["fleet", "status", "--fleet", f, "--inventory", inventory, "--json"], { env: ENV() });
    expect(st.code, st.stdout + st.stderr).toBe(0);
    const rows = (st.json as { hosts: Array<{ host: string; current: string }> }).hosts;
    for (const h of ["ssh1", "zflags", "zprof"]) expect(rows.find((x) => x.host === h), h).toMatchObject({ current: release });
  });
});
