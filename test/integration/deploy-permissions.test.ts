/**
 * Deploys where the session user lacks permission (issue 9 item 6): the simulated LPAR's sessions
 * run as an unprivileged user (zos-uss.md §9, §10: `EDC5111I Permission denied.`), so a root the
 * user cannot write, or a store owned by another user, fails with a coded error naming the host
 * and path, and nothing on the target changes.
 */
import { chownSync, existsSync, mkdirSync, readdirSync } from "fs";
import { spawnSync } from "child_process";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import { ZwhError } from "../../src/core/errors";
import { deploy } from "../../src/deploy/deploy";
import { installTargetTrust } from "../../src/deploy/trust";
import { simExec, startUssHosts, type SimCluster, type SimHost } from "../sim";
import { makeBundle, makeSigner, newInventory, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";

let sim: SimCluster;
let h: SimHost;
let work: string;
let signer: Signer;
let v1: CreatedBundle;
let inv: ReturnType<typeof newInventory>;

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = tmp("zwh-deploy-perm-");
  signer = makeSigner(join(work, "keys"));
  v1 = await makeBundle(work, { id: "app", sequence: 1, target: await simTarget(h), signer, wheels: sampleWheels({ app: "1.0" }) });
  inv = newInventory(work);
});

afterAll(async () => {
  inv?.close();
  await sim?.stop();
});

function opts(root: string) {
  const out = recordingOutput();
  return { spec: specFor(h), root, progress: out.progress, warn: out.warn, store: inv, trustPath: signer.trustFile };
}

async function failure(p: Promise<unknown>): Promise<ZwhError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ZwhError);
  return e as ZwhError;
}

describe("a non-root session user (issue 9 item 6)", () => {
  it("the session user is not root, and the LPAR's / is not writable for it", async () => {
    const r = await simExec(h, "whoami; id -u; mkdir /zwh-x 2>&1 || echo refused");
    const [who, uid] = r.stdout.split("\n");
    expect(who).not.toBe("root");
    expect(uid).not.toBe("0");
    expect(r.stdout).toContain("refused");
  });

  it("a root under a directory the user cannot write: coded error naming the path; nothing created", async () => {
    const root = join(h.root, "u", "wheelhouse"); // /u belongs to root
    const e = await failure(installTargetTrust({ spec: specFor(h), root, trustPath: signer.trustFile, progress: recordingOutput().progress }));
    expect(e.code).toMatch(/^ZWH-/);
    expect(`${e.message} ${JSON.stringify(e.details ?? {})}`).toMatch(/ermission denied/);
    expect(e.message).toContain(root);
    expect(existsSync(root)).toBe(false);
  });

  it("a store owned by another user: deploy refuses with a coded error; the other user's files are untouched", async () => {
    const root = join(h.home, "theirs");
    const t = await installTargetTrust({ spec: specFor(h), root, trustPath: signer.trustFile, progress: recordingOutput().progress });
    expect(t).toBeTruthy();
    // hand the root to another user (as an administrator would), read-only for the session user
    const other = spawnSync("id", ["-u", "zwhother"], { encoding: "utf8" });
    expect(other.status).toBe(0);
    const uid = Number(other.stdout.trim());
    const chown = (p: string) => {
      chownSync(p, uid, uid);
      for (const ent of readdirSync(p, { withFileTypes: true })) {
        if (ent.isDirectory()) chown(join(p, ent.name));
        else chownSync(join(p, ent.name), uid, uid);
      }
    };
    mkdirSync(join(root, "store"), { recursive: true });
    chown(root);
    const before = readdirSync(root).sort();
    const e = await failure(deploy({ ...opts(root), bundleDir: v1.dir }));
    expect(e.code).toMatch(/^ZWH-/);
    expect(`${e.message} ${e.hint ?? ""} ${JSON.stringify(e.details ?? {})}`).toMatch(/ermission denied/);
    expect(readdirSync(root).sort()).toEqual(before);
    expect(existsSync(join(root, "current"))).toBe(false);
  });
});
