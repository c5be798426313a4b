/**
 * deploy --vuln-db against the USS simulator: the gate runs in the local verification, so a
 * bundle whose package became known-malicious is refused before anything is sent or installed,
 * also when the release is already current (the statement-only re-check); with a clean
 * snapshot the same bundle deploys.
 */
import { readlinkSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploy } from "../../src/deploy/deploy";
import { installTargetTrust } from "../../src/deploy/trust";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";
import { makeBundle, makeSigner, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";
import { ghsa, mal, writeOsvZip } from "../support/osv";
import type { BundleTarget } from "../../src/bundle/statement";

let sim: SimCluster;
let h: SimHost;
let work: string;
let signer: Signer;
let target: BundleTarget;
let root: string;

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = tmp("zwh-deploy-vuln-");
  signer = makeSigner(join(work, "keys"));
  target = await simTarget(h);
  root = `${h.home}/vuln-root`;
  await installTargetTrust({ spec: specFor(h), root, trustPath: signer.trustFile, progress: recordingOutput().progress });
}, 300_000);

afterAll(async () => {
  await sim?.stop();
});

describe("deploy with the offline vulnerability gate", () => {
  it("refuses a known-malicious package before sending anything, also for the current release; deploys with a clean snapshot", async () => {
    const b = await makeBundle(work, { id: "gated", sequence: 1, target, signer, wheels: sampleWheels() });
    const clean = await writeOsvZip(join(work, "clean.zip"), [
      ghsa("GHSA-util-old0-0001", "zwhdemo-util", [{ introduced: "0" }, { fixed: "0.9" }], { severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }] }),
    ]);
    const bad = await writeOsvZip(join(work, "bad.zip"), [mal("MAL-2026-77", "zwhdemo_util")]);
    const run = (dbFile: string) => {
      const out = recordingOutput();
      return deploy({ spec: specFor(h), root, progress: out.progress, warn: out.warn, trustPath: signer.trustFile, bundleDir: b.dir, vulnGate: { dbFile, indexDir: join(work, "idx") } });
    };
    await expect(run(bad)).rejects.toMatchObject({ code: "ZWH-VULN-MALICIOUS", subject: "zwhdemo-util" });
    expect(() => readlinkSync(join(root, "current"))).toThrow(); // nothing was activated

    const r = await run(clean);
    expect(r.action).toBe("install");
    const current = readlinkSync(join(root, "current"));

    // The release is current now: deploy re-checks only the statement, and the gate still runs.
    await expect(run(bad)).rejects.toMatchObject({ code: "ZWH-VULN-MALICIOUS" });
    expect(readlinkSync(join(root, "current"))).toBe(current);
  }, 300_000);
});
