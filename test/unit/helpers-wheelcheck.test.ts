/**
 * zwh_deploy.py wheel-members, run locally exactly as deploy runs it (argv only, `-I -S`): the
 * target re-reads every wheel with its Python's zipfile (pip's reader) and compares the member
 * list and start-up hooks with the signed statement (issue 8 §2). The canonical digest must equal
 * the workstation's (src/core/member-list.ts), or every good deploy would be refused.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectWheel } from "../../src/bundle/wheel-verify";
import { tmpDir } from "../support/unit";
import { buildWheel } from "../support/wheels";
import { appendedMembers, concatenated, markerPth, wheelEntries, writeZip } from "../support/zips";

const HELPER = path.resolve(__dirname, "../../src/deploy/helpers/zwh_deploy.py");
const PY = process.env.ZWH_TEST_PYTHON ?? "python3";
const FILENAME = "hostile-1.0-py3-none-any.whl";
const FILES = { "hostile/__init__.py": "VALUE = 1\n" };
const HOOK = "zzz_hostile_hook.pth";

let dir: string;
beforeAll(() => {
  dir = tmpDir("zwh wheelcheck $x;'");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
interface W { filename: string; name: string; members: { count: number; sha256: string }; layout: { count: number; sha256: string } }
type Mode = "content" | "layout";

/**
 * A release-like dir: wheels/<files> + a statement listing them with the given members, and (as
 * deploy writes it into staging) release.json with each wheel's verified member layout.
 */
function release(wheels: Array<{ file: string; entry: W }>, startupHooks: string[] = []): string {
  const d = path.join(dir, `r${++n}`);
  fs.mkdirSync(path.join(d, "wheels"), { recursive: true });
  for (const w of wheels) fs.copyFileSync(w.file, path.join(d, "wheels", w.entry.filename));
  const statementWheels = wheels.map(({ entry: { layout: _layout, ...rest } }) => rest);
  fs.writeFileSync(path.join(d, "manifest.intoto.json"), JSON.stringify({ predicate: { wheels: statementWheels, policy: { startupHooks } } }));
  fs.writeFileSync(path.join(d, "release.json"), JSON.stringify(wheels.map((w) => ({ name: w.entry.filename, sha256: "0".repeat(64), size: 1, layout: w.entry.layout }))));
  return d;
}

function run(d: string, mode: Mode = "content"): { code: number | null; out: Record<string, any> } {
  const r = spawnSync(PY, ["-I", "-S", HELPER, "wheel-members", "--statement", path.join(d, "manifest.intoto.json"), "--wheels-dir", path.join(d, "wheels"),
    ...(mode === "layout" ? ["--expect-file", path.join(d, "release.json")] : [])], { encoding: "utf8" });
  const lines = r.stdout.split("\n").filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  return { code: r.status, out: JSON.parse(lines[0]) };
}

function save(bytes: Buffer): string {
  const p = path.join(dir, `w${++n}`, FILENAME);
  fs.mkdirSync(path.dirname(p));
  fs.writeFileSync(p, bytes);
  return p;
}

/** The statement entry the workstation produces for `file` (its verified member list). */
async function entryOf(file: string, filename = path.basename(file)): Promise<W> {
  const r = await inspectWheel(file, { filename });
  expect(r.findings.map((f) => f.code)).toEqual([]);
  return { filename, name: r.facts!.normalizedName, members: r.facts!.members, layout: r.facts!.memberLayout };
}

// Both ways of comparing: by content (the statement's member list, every member inflated) and
// by layout (this run's verified layout, nothing inflated: the re-hash that runs first covers the bytes).
describe.each<Mode>(["content", "layout"])("wheel-members by %s", (mode) => {
  it("agrees with the workstation's digest for good wheels (deflated, stored, directories, non-ASCII names)", async () => {
    const a = await buildWheel(path.join(dir, "good"), { name: "demo", version: "1.0", files: { "demo/__init__.py": "x = 1\n", "demo/data/é.txt": "é\n" } });
    const b = await buildWheel(path.join(dir, "good"), { name: "other", version: "2.0", compress: false });
    const c = save(writeZip([{ name: "hostile/", data: Buffer.alloc(0), method: 0 }, ...wheelEntries("hostile", "1.0", FILES)].map((e) => ({ ...e, descriptor: !e.name.endsWith("/") }))));
    const d = release([{ file: a, entry: await entryOf(a) }, { file: b, entry: await entryOf(b) }, { file: c, entry: await entryOf(c) }]);
    const r = run(d, mode);
    expect(r.out.error, JSON.stringify(r.out)).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.out).toMatchObject({ ok: true, checked: 3, byLayout: mode === "layout" ? 3 : 0 });
    expect(r.out.wheels.map((w: { by: string }) => w.by)).toEqual([mode, mode, mode]);
  });

  it("refuses each reader-differential shape signed with the member list the workstation's reader saw", async () => {
    const benign = save(writeZip(wheelEntries("hostile", "1.0", FILES)));
    const view = await entryOf(benign);
    const pad = { ...FILES, "hostile/padding.txt": Array.from({ length: 100 }, (_, i) => `${i}`.repeat(40) + Math.random()).join("\n") };
    const big = wheelEntries("hostile", "1.0", pad);
    const bigView = await entryOf(save(writeZip(big)));
    const shapes: Array<[string, Buffer, W]> = [
      ["second RECORD appended", appendedMembers("hostile", "1.0", FILES, { [HOOK]: markerPth("/nonexistent/x") }, true), view],
      ["member appended", appendedMembers("hostile", "1.0", FILES, { [HOOK]: markerPth("/nonexistent/x") }, false), view],
      ["benign + evil, equal-size directories", concatenated(big, wheelEntries("hostile", "1.0", { ...FILES, [HOOK]: markerPth("/nonexistent/x") })), bigView],
    ];
    for (const [label, bytes, entry] of shapes) {
      const r = run(release([{ file: save(bytes), entry }]), mode);
      expect(r.code, label).toBe(3);
      expect(r.out.error.code, label).toBe("ZWH-DEPLOY-WHEEL-MEMBERS");
      expect(r.out.error.message, label).toMatch(/^hostile-1.0-py3-none-any.whl: .*zipfile reads \d+ member\(s\)/);
      expect(r.out.wheels[0].members, label).toContain(HOOK);
    }
  });

  it("refuses a wheel zipfile cannot read, and a start-up hook the signed policy does not allow", async () => {
    const benign = save(writeZip(wheelEntries("hostile", "1.0", FILES)));
    const entry = await entryOf(benign);
    const broken = save(Buffer.from("not a zip"));
    expect(run(release([{ file: broken, entry }]), mode).out.wheels[0].problems[0]).toMatch(/zipfile cannot read it: BadZipFile/);
    const hooked = await buildWheel(path.join(dir, "hook"), { name: "demo", version: "1.0", files: { "demo/__init__.py": "", "demo-hook.pth": "import os\n" } });
    const he = await entryOf(hooked);
    const r = run(release([{ file: hooked, entry: he }]), mode);
    expect(r.code).toBe(3);
    expect(r.out.error).toMatchObject({ code: "ZWH-WHEEL-STARTUP-HOOK", subject: "demo-1.0-py3-none-any.whl" });
    expect(run(release([{ file: hooked, entry: he }], ["demo:demo-hook.pth"]), mode).code).toBe(0);
  });
});

describe("wheel-members by layout", () => {
  it("reads no member's data: a flipped compressed byte passes here (the re-hash before it refuses the file), by content it is refused", async () => {
    const good = save(writeZip(wheelEntries("hostile", "1.0", { ...FILES, "hostile/big.txt": "abcdefgh".repeat(4000) })));
    const entry = await entryOf(good);
    const bytes = fs.readFileSync(good);
    const at = bytes.indexOf(Buffer.from("hostile/big.txt")) + "hostile/big.txt".length + 20; // inside big.txt's deflate data
    bytes[at] ^= 0xff;
    const flipped = save(bytes);
    expect(run(release([{ file: flipped, entry }]), "layout")).toMatchObject({ code: 0, out: { ok: true, byLayout: 1 } });
    const byContent = run(release([{ file: flipped, entry }]), "content");
    expect(byContent.code).toBe(3);
    expect(byContent.out.wheels[0].problems.join(" ")).toMatch(/zipfile (cannot read it|reads)/);
  });

  it("refuses a member whose data starts elsewhere for zipfile (same names, counts and sizes)", async () => {
    const a = save(writeZip(wheelEntries("hostile", "1.0", FILES)));
    const entry = await entryOf(a);
    const shifted = { ...entry, layout: { count: entry.layout.count, sha256: "f".repeat(64) } };
    const r = run(release([{ file: a, entry: shifted }]), "layout");
    expect(r.code).toBe(3);
    expect(r.out.error.message).toMatch(/zipfile reads \d+ member\(s\) \(layout digest [0-9a-f]{16}\); the workstation verified \d+ \(digest ffffffffffffffff\)/);
  });
});
