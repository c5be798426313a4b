/**
 * Hostile-wheel suite, target side (issue 8 §2), against the USS simulator.
 *
 * The workstation refuses these wheels (test/unit/hostile-wheels.test.ts). Here that check is
 * BYPASSED to prove the target's own check: this file replaces the zip layout check
 * (src/core/zip-layout.ts) with one that finds nothing, through vitest's module mock, so the
 * real `bundle create` signs each hostile wheel with the member list its zip library saw (as
 * Wheelhouse before issue 8 did) and the real deploy's local verification passes it too.
 * Production code has no switch for this. The target then re-reads every wheel with its own
 * Python's zipfile before pip runs (comparing the member layout the deploy's verification read,
 * member-list.ts), and must refuse: no code from the wheel runs (its `.pth`
 * would write a marker file in the session user's home), nothing is installed, and `current` is
 * unchanged. A control test shows the marker hook does write its marker when it runs.
 *
 * The last test covers the order of the install checks: a start-up hook planted in the new
 * release's site-packages after pip (through the deploy's test seam) is caught by the RECORD
 * check, which runs with the base interpreter without site, before any venv Python starts.
 */
import { existsSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const bypass = vi.hoisted(() => ({ on: false }));
vi.mock("../../src/core/zip-layout", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/core/zip-layout")>();
  return { ...real, checkZipLayout: (...a: Parameters<typeof real.checkZipLayout>) => (bypass.on ? { problems: [] } : real.checkZipLayout(...a)) };
});

import { createBundle } from "../../src/bundle/create";
import type { BundleTarget } from "../../src/bundle/statement";
import { ZwhError } from "../../src/core/errors";
import { deploy } from "../../src/deploy/deploy";
import { installTargetTrust } from "../../src/deploy/trust";
import { simExec, startUssHosts, writeHostFile, type SimCluster, type SimHost } from "../sim";
import { makeBundle, makeSigner, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";
import { appendedMembers, concatenated, markerPth, wheelEntries, writeZip } from "../support/zips";
import { assembleBundle } from "../support/bundles";

let sim: SimCluster;
let h: SimHost;
let work: string;
let signer: Signer;
let target: BundleTarget;
let root: string;
let seq = 1;

const FILES = { "hostile/__init__.py": "VALUE = 1\n" };
const PAD = { ...FILES, "hostile/padding.txt": Array.from({ length: 120 }, (_, i) => `${i * 7919}-${(i * 104729) % 9973}`.repeat(6)).join("\n") };

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = tmp("zwh-deploy-hostile-");
  signer = makeSigner(join(work, "keys"));
  target = await simTarget(h);
  root = `${h.home}/hostile-root`;
  await installTargetTrust({ spec: specFor(h), root, trustPath: signer.trustFile, progress: recordingOutput().progress });
  // A good release first, so there is a `current` that must not move.
  const good = await makeBundle(work, { id: "good", sequence: seq++, target, signer, wheels: sampleWheels() });
  const out = recordingOutput();
  await deploy({ spec: specFor(h), root, progress: out.progress, warn: out.warn, trustPath: signer.trustFile, bundleDir: good.dir });
}, 300_000);

afterAll(async () => {
  await sim?.stop();
});

function current(): string {
  return readlinkSync(join(root, "current"));
}

/** Sign `bytes` as hostile-1.0 with the workstation check bypassed; returns the bundle dir. */
async function signBypassed(label: string, bytes: Buffer): Promise<string> {
  const wd = join(work, `in-${label}`);
  mkdirSync(wd, { recursive: true });
  writeFileSync(join(wd, "hostile-1.0-py3-none-any.whl"), bytes);
  const base = { wheelDir: wd, bundleId: `hostile-${label}`, channel: "stable", target, requirements: ["hostile"], signKeys: [signer.key.privateKey] };
  // Not bypassed: the workstation refuses it.
  await expect(createBundle({ ...base, sequence: seq, outDir: join(work, `refused-${label}`) })).rejects.toMatchObject({ code: "ZWH-WHEEL-ZIP-AMBIGUOUS" });
  bypass.on = true;
  try {
    return (await createBundle({ ...base, sequence: seq++, outDir: join(work, `bundle-${label}`) })).dir;
  } finally {
    bypass.on = false;
  }
}

async function deployBypassed(bundleDir: string): Promise<ZwhError> {
  const out = recordingOutput();
  bypass.on = true;
  try {
    const e = await deploy({ spec: specFor(h), root, progress: out.progress, warn: out.warn, trustPath: signer.trustFile, bundleDir }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ZwhError);
    return e as ZwhError;
  } finally {
    bypass.on = false;
  }
}

const shapes: Array<[string, (marker: string) => Buffer]> = [
  ["member and second RECORD after the counted central entries", (m) => appendedMembers("hostile", "1.0", FILES, { "zzz_hostile.pth": markerPth(m) }, true)],
  ["member after the counted central entries, no second RECORD", (m) => appendedMembers("hostile", "1.0", FILES, { "zzz_hostile.pth": markerPth(m) }, false)],
  ["benign wheel followed by an evil one with an equal-size central directory", (m) => concatenated(wheelEntries("hostile", "1.0", PAD), wheelEntries("hostile", "1.0", { ...FILES, "zzz_hostile.pth": markerPth(m) }))],
  ["hook in .data/purelib after the counted entries, with a second RECORD", (m) => appendedMembers("hostile", "1.0", FILES, { "hostile-1.0.data/purelib/zzz_hostile.pth": markerPth(m) }, true)],
];

describe("control", () => {
  it("the marker hook, run by the target's Python as the session user, writes its marker (so its absence below means it never ran)", async () => {
    const marker = join(h.home, "marker-control");
    const script = join(h.home, "control.py");
    writeHostFile(h, script, markerPth(marker));
    const r = await simExec(h, `${h.pythonPath} ${script}`);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});

describe("target: refused by the target's zipfile when the workstation check is bypassed", () => {
  it.each(shapes.map(([label, make], i) => [label, make, i] as const))("%s", async (label, make, i) => {
    const marker = join(h.home, `marker-${i}`);
    const before = current();
    const dir = await signBypassed(`s${i}`, make(marker));
    const e = await deployBypassed(dir);
    expect(e.code, `${label}: ${e.message}`).toBe("ZWH-DEPLOY-WHEEL-MEMBERS");
    expect(e.exitCode).toBe(3);
    expect(e.details?.step).toBe("verify-target");
    expect(e.message).toMatch(/hostile-1\.0-py3-none-any\.whl/);
    // Compared by the member layout this run verified (nothing inflated on the target).
    expect((e.details?.wheels as Array<{ by: string }>).map((w) => w.by)).toEqual(["layout"]);
    expect(existsSync(marker), "code from the hostile wheel ran").toBe(false);
    expect(current()).toBe(before);
    // Nothing was installed: no release of this bundle has a venv.
    for (const r of readdirSync(join(root, "releases"))) {
      if (r.startsWith("hostile-")) expect(existsSync(join(root, "releases", r, "venv")), r).toBe(false);
    }
  }, 180_000);

  it("a signed bundle whose policy does not allow a wheel's start-up hook is refused before anything changes", async () => {
    const marker = join(h.home, "marker-hook");
    const wd = join(work, "in-hook");
    mkdirSync(wd, { recursive: true });
    const file = join(wd, "hostile-1.0-py3-none-any.whl");
    writeFileSync(file, writeZip(wheelEntries("hostile", "1.0", { ...FILES, "zzz_hostile.pth": markerPth(marker) })));
    const before = current();
    // Signed by a signer that ran none of create's checks.
    const dir = await assembleBundle(work, "hook", [file], { keys: [{ name: "release-bot", ...signer.key }], target, requirements: ["hostile"], sequence: seq++, expires: new Date(Date.now() + 30 * 86400e3).toISOString() });
    const out = recordingOutput();
    const e = await deploy({ spec: specFor(h), root, progress: out.progress, warn: out.warn, trustPath: signer.trustFile, bundleDir: dir }).catch((x: unknown) => x as ZwhError);
    expect((e as ZwhError).code).toBe("ZWH-WHEEL-STARTUP-HOOK");
    expect((e as ZwhError).message).toMatch(/hostile-1\.0-py3-none-any\.whl: zzz_hostile\.pth is a start-up hook/);
    expect(existsSync(marker)).toBe(false);
    expect(current()).toBe(before);
  }, 120_000);
});

describe("target: the installed tree is checked before any venv Python starts", () => {
  it("a .pth planted in the release's site-packages after pip is refused by the isolated RECORD check; it never runs", async () => {
    const marker = join(h.home, "marker-planted");
    const b = await makeBundle(work, { id: "planted", sequence: seq++, target, signer, wheels: sampleWheels({ app: "1.1" }) });
    const before = current();
    const out = recordingOutput();
    const e = await deploy({
      spec: specFor(h), root, progress: out.progress, warn: out.warn, trustPath: signer.trustFile, bundleDir: b.dir, smoke: "import zwhdemo_app",
      hooks: {
        beforeStep: (step, info) => {
          if (step !== "verify-install") return;
          const lib = join(root, "releases", info.releaseId!, "venv", "lib");
          const sp = join(lib, readdirSync(lib).find((d) => d.startsWith("python3"))!, "site-packages");
          writeHostFile(h, join(sp, "zzz_planted.pth"), markerPth(marker));
        },
      },
    }).catch((x: unknown) => x as ZwhError);
    expect(e).toBeInstanceOf(ZwhError);
    expect((e as ZwhError).code).toBe("ZWH-DEPLOY-RECORD-MISMATCH");
    expect((e as ZwhError).message).toMatch(/zzz_planted\.pth/);
    expect(existsSync(marker), "the planted start-up hook ran (pip check, pip inspect or smoke started the venv's Python)").toBe(false);
    expect(current()).toBe(before);
  }, 300_000);
});
