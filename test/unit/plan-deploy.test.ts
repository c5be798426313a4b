/** The pure deploy planner: noop / activate / install, uploads by sha256, blockers. */
import { describe, expect, it } from "vitest";
import { planDeploy, renderPlan, type ObservedState, type PlanBundle } from "../../src/core/plan";
import { checkRoot, releaseIdFor } from "../../src/deploy/layout";

const D = "sha256:" + "ab".repeat(32);
const w = (n: string, sha: string, size = 100) => ({ filename: `${n}-1.0-py3-none-any.whl`, name: n, version: "1.0", sha256: sha.repeat(64).slice(0, 64), size });
const bundle: PlanBundle = { bundleId: "app", channel: "stable", sequence: 2, statementDigest: D, releaseId: releaseIdFor("app", D), wheels: [w("a", "1", 10), w("b", "2", 20), w("c", "3", 30)] };
const empty: ObservedState = { rootExists: true, current: null, currentKind: "absent", previous: null, releases: [], storePresent: [], lock: { held: false, stale: false, owner: null }, trustPresent: true };

describe("planDeploy", () => {
  it("derives deterministic release ids", () => {
    expect(bundle.releaseId).toBe("app-abababababab");
  });
  it("installs everything on a fresh root", () => {
    const p = planDeploy(bundle, empty, { keep: 5 });
    expect(p.action).toBe("install");
    expect(p.uploadBytes).toBe(60);
    expect(p.steps.map((s) => s.id)).toEqual(["lock", "upload", "stage", "verify-target", "install", "verify-install", "activate", "prune", "record"]);
    expect(p.steps.every((s) => s.reason.length > 0)).toBe(true);
  });
  it("uploads only what the store lacks", () => {
    const p = planDeploy(bundle, { ...empty, storePresent: [bundle.wheels[0].sha256, bundle.wheels[2].sha256] }, { keep: 5 });
    expect(p.upload.map((x) => x.name)).toEqual(["b"]);
    expect(p.uploadBytes).toBe(20);
  });
  it("is a noop when the release is current and complete", () => {
    const p = planDeploy(bundle, { ...empty, current: bundle.releaseId, currentKind: "link", releases: [{ id: bundle.releaseId, complete: true, statementDigest: D }] }, { keep: 5 });
    expect(p.action).toBe("noop");
    expect(p.uploadBytes).toBe(0);
    expect(p.blockers).toEqual([]);
  });
  it("--repair installs into a fresh release id even when the bundle's release is current", () => {
    const rid = bundle.releaseId;
    const cur = { ...empty, current: rid, currentKind: "link", releases: [{ id: rid, complete: true, statementDigest: D }], storePresent: bundle.wheels.map((x) => x.sha256) };
    const p = planDeploy(bundle, cur, { keep: 5, repair: true });
    expect(p.action).toBe("install");
    expect(p.releaseId).toBe(`${rid}+r1`);
    expect(p.uploadBytes).toBe(0);
    expect(p.rebuild).toBe(false);
    const again = planDeploy(bundle, { ...cur, releases: [...cur.releases, { id: `${rid}+r9`, complete: true, statementDigest: D }, { id: `${rid}+r10`, complete: false }] }, { keep: 5, repair: true });
    expect(again.releaseId).toBe(`${rid}+r11`);
  });
  it("after a repair, the repaired release is the bundle's: current → noop, not current → re-activate the newest", () => {
    const rid = bundle.releaseId;
    const rels = [{ id: rid, complete: true, statementDigest: D }, { id: `${rid}+r2`, complete: true, statementDigest: D }, { id: `${rid}+r10`, complete: true, statementDigest: D }, { id: "other+r99", complete: true, statementDigest: D }];
    expect(planDeploy(bundle, { ...empty, current: `${rid}+r2`, currentKind: "link", releases: rels }, { keep: 5 })).toMatchObject({ action: "noop", releaseId: `${rid}+r2` });
    expect(planDeploy(bundle, { ...empty, current: "old", currentKind: "link", releases: rels }, { keep: 5 })).toMatchObject({ action: "activate", releaseId: `${rid}+r10` });
  });
  it("re-activates an intact release that is not current", () => {
    const p = planDeploy(bundle, { ...empty, current: "old", currentKind: "link", releases: [{ id: bundle.releaseId, complete: true, statementDigest: D }] }, { keep: 5 });
    expect(p.action).toBe("activate");
  });
  it("rebuilds an incomplete release", () => {
    const p = planDeploy(bundle, { ...empty, releases: [{ id: bundle.releaseId, complete: false }] }, { keep: 5 });
    expect(p.action).toBe("install");
    expect(p.rebuild).toBe(true);
  });
  it("reports blockers: missing trust, held lock with owner, current not a link", () => {
    const p = planDeploy(bundle, { ...empty, trustPresent: false, currentKind: "other", lock: { held: true, stale: true, owner: { user: "bob", controller_host: "ws1", controller_pid: 42, run_id: "r1", lock_id: "L1" } } }, { keep: 5 });
    expect(p.blockers.map((b) => b.code).sort()).toEqual(["ZWH-DEPLOY-CURRENT-NOT-LINK", "ZWH-DEPLOY-TARGET-TRUST-MISSING", "ZWH-LOCK-HELD"]);
    expect(renderPlan(p)).toMatch(/bob on ws1 pid 42.*STALE|STALE.*bob on ws1 pid 42/s);
  });
});

describe("checkRoot", () => {
  it("accepts metacharacters and refuses control characters and relative paths", () => {
    expect(checkRoot(`/u/a b/'q'/$(x);y/`)).toBe(`/u/a b/'q'/$(x);y`);
    expect(() => checkRoot("/u/a\nb")).toThrow(/control character/);
    expect(() => checkRoot("rel/dir")).toThrow(/absolute/);
    expect(() => checkRoot("/u/../etc")).toThrow(/\.\./);
  });
});
