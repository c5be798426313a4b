/**
 * Upload integrity end to end: a wheel whose bytes change between the local verification and the
 * upload is rejected by the target-side re-hash (store-commit), nothing unverified gets a final
 * store name, the intact wheels are committed, current is untouched, and a re-run uploads only
 * what is missing.
 */
import { createHash } from "crypto";
import { existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import { ZwhError } from "../../src/core/errors";
import { deploy } from "../../src/deploy/deploy";
import { installTargetTrust } from "../../src/deploy/trust";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";
import { makeBundle, makeSigner, newInventory, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";

let sim: SimCluster;
let h: SimHost;
let work: string;
let signer: Signer;
let bundle: CreatedBundle;
let inv: ReturnType<typeof newInventory>;

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = tmp("zwh-deploy-upload-corrupt-");
  signer = makeSigner(join(work, "keys"));
  const target = await simTarget(h);
  bundle = await makeBundle(work, { id: "pipe", sequence: 1, target, signer, wheels: sampleWheels({ app: "1.0" }, 2048) });
  inv = newInventory(work);
});

afterAll(async () => {
  await inv?.close();
  await sim?.stop();
});

function opts(root: string, extra: Record<string, unknown> = {}) {
  const out = recordingOutput();
  return { spec: specFor(h), root, progress: out.progress, warn: out.warn, store: inv, trustPath: signer.trustFile, bundleDir: bundle.dir, ...extra };
}

function storeFiles(root: string): string[] {
  const base = join(root, "store", "sha256");
  if (!existsSync(base)) return [];
  const out: string[] = [];
  for (const hex of readdirSync(base)) {
    for (const f of readdirSync(join(base, hex))) {
      expect(createHash("sha256").update(readFileSync(join(base, hex, f))).digest("hex")).toBe(hex);
      out.push(f);
    }
  }
  const inc = join(root, "store", ".incoming");
  if (existsSync(inc)) expect(readdirSync(inc)).toEqual([]);
  return out.sort();
}

describe("upload integrity (target-side re-hash)", () => {
  it("rejects a wheel changed after local verification; verified ones are committed; a re-run uploads only the missing one", async () => {
    const root = `${h.home}/upload-corrupt-root`;
    await installTargetTrust({ spec: specFor(h), root, trustPath: signer.trustFile, progress: recordingOutput().progress });
    const wheels = bundle.statement.predicate.wheels;
    const victim = wheels.find((w) => w.filename.startsWith("zwhdemo_util"))!;
    const local = join(bundle.dir, "wheels", victim.filename);
    const original = readFileSync(local);
    const e = await deploy(opts(root, {
      hooks: {
        beforeStep: (s: string) => {
          if (s !== "upload") return;
          const bad = Buffer.from(original);
          bad[Math.floor(bad.length / 2)] ^= 0xff; // same size, different bytes
          writeFileSync(local, bad);
        },
      },
    })).catch((x: unknown) => x as ZwhError);
    writeFileSync(local, original);
    expect(e).toBeInstanceOf(ZwhError);
    expect((e as ZwhError).code).toBe("ZWH-DEPLOY-UPLOAD-CORRUPT");
    expect((e as ZwhError).message).toContain(victim.filename);
    expect(((e as ZwhError).details as { details?: unknown; step?: string }).step).toBe("upload");
    expect(existsSync(join(root, "current"))).toBe(false);
    // Only verified files carry final names: every wheel but the victim.
    expect(storeFiles(root)).toEqual(wheels.filter((w) => w !== victim).map((w) => w.filename).sort());

    const r = await deploy(opts(root));
    expect(r.action).toBe("install");
    expect(r.upload.files).toBe(1);
    expect(r.upload.bytes).toBe(victim.size);
    expect(readlinkSync(join(root, "current"))).toBe(`releases/${r.releaseId}`);
    expect(storeFiles(root)).toEqual(wheels.map((w) => w.filename).sort());
  });
});
