/**
 * zwh_deploy.py multi (several zwh_target.py commands in one interpreter start), with the
 * set-up's real python3, and the rule that counts interpreter starts (TransportStats).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pythonStartsOf } from "../../src/remote/python-starts";

const DEPLOY = path.resolve(__dirname, "../../src/deploy/helpers/zwh_deploy.py");
const TARGET = path.resolve(__dirname, "../../src/remote/helpers/zwh_target.py");
const PY = spawnSync(process.env.ZWH_TEST_PYTHON ?? "python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();

function run(args: string[]): { code: number | null; out: Record<string, any> } {
  const r = spawnSync(PY, [DEPLOY, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
  const lines = r.stdout.split("\n").filter((l) => l.length > 0);
  expect(lines, r.stderr).toHaveLength(1);
  return { code: r.status, out: JSON.parse(lines[0]!) };
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-helpers-deploy-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("multi", () => {
  it("runs every command in order in one interpreter and reports each exit code and result", () => {
    const root = path.join(tmp, "root-multi");
    fs.mkdirSync(root);
    const r = run(["multi", "--zwh-target", TARGET,
      "--cmd", JSON.stringify(["audit-append", "--root", root, "--json", JSON.stringify({ event: "a" })]),
      "--cmd", JSON.stringify(["activate", "--root", root, "--release", "nope", "--expect-current", "none"]),
      "--cmd", JSON.stringify(["audit-append", "--root", root, "--json", JSON.stringify({ event: "b" })])]);
    expect(r.code).toBe(0);
    expect(r.out.command).toBe("multi");
    expect(r.out.results.map((x: { code: number }) => x.code)).toEqual([0, 3, 0]);
    expect(r.out.results[1].result).toMatchObject({ command: "activate", ok: false, error: { code: "ZWH-ACTIVATE-RELEASE-BROKEN" } });
    expect(r.out.results[0].result).toMatchObject({ command: "audit-append", ok: true });
    expect(r.out.results[2].result).toMatchObject({ command: "audit-append", ok: true });
    // The failing middle command did not stop the third one; both lines are in the log, in order.
    const log = fs.readFileSync(path.join(root, ".wheelhouse", "audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l).event);
    expect(log).toEqual(["a", "b"]);
    expect(r.out.ok).toBe(false);
  });

  it("refuses a --cmd that is not a JSON list of strings", () => {
    const r = run(["multi", "--zwh-target", TARGET, "--cmd", JSON.stringify({ argv: "x" })]);
    expect(r.code).toBe(1);
    expect(r.out.ok).toBe(false);
  });
});

describe("pythonStartsOf (TransportStats.pythonStarts)", () => {
  it("counts interpreters an argv starts", () => {
    expect(pythonStartsOf(["/usr/lpp/py/bin/python3", "/h/zwh_target.py", "prune"])).toBe(1);
    expect(pythonStartsOf(["/usr/lpp/py/bin/python3", "-m", "pip", "--python", "/r/venv/bin/python", "check"])).toBe(2);
    expect(pythonStartsOf(["/r/venv/bin/python", "/usr/lpp/py/lib/pip/__pip-runner__.py", "install"])).toBe(1);
    expect(pythonStartsOf(["/usr/lpp/py/bin/python3", "/h/zwh_deploy.py", "run-to-file", "--out", "f", "--", "/usr/lpp/py/bin/python3", "-m", "pip", "--python", "v", "inspect"])).toBe(3);
    expect(pythonStartsOf(["ls", "-T", "python3"])).toBe(0);
  });
});

describe("pip-verify (pip check + pip inspect in one start of the venv's interpreter)", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sim = require("../sim/controller.js") as { findBasePython: (forSessionUser?: boolean) => { pipWheel: string } };

  function dist(sp: string, name: string, requires: string[]): void {
    const d = path.join(sp, `${name}-1.0.dist-info`);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, "METADATA"), `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\n${requires.map((r) => `Requires-Dist: ${r}\n`).join("")}`);
    fs.writeFileSync(path.join(d, "INSTALLER"), "pip\n");
    fs.writeFileSync(path.join(d, "RECORD"), `${name}-1.0.dist-info/METADATA,,\n`);
  }

  it("runs pip's own check and inspect from a pip directory the venv does not contain", () => {
    const venv = path.join(tmp, "pv-venv");
    expect(spawnSync(PY, ["-m", "venv", "--without-pip", venv]).status).toBe(0);
    const pipRoot = path.join(tmp, "pv-pip");
    expect(spawnSync(PY, ["-I", "-m", "zipfile", "-e", sim.findBasePython(false).pipWheel, pipRoot]).status).toBe(0);
    const vpy = path.join(venv, "bin", "python");
    const sp = spawnSync(vpy, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: "utf8" }).stdout.trim();
    dist(sp, "alpha", []);
    dist(sp, "beta", ["alpha>=1"]);
    const out = path.join(tmp, "pv-inspect.json");
    const runIn = () => {
      const r = spawnSync(vpy, [DEPLOY, "pip-verify", "--inspect-out", out, "--pip-root", pipRoot], { encoding: "utf8", timeout: 120_000, env: { ...process.env, PIP_CONFIG_FILE: "/dev/null" } });
      const lines = r.stdout.split("\n").filter((l) => l.length > 0);
      expect(lines, r.stderr).toHaveLength(1);
      return { code: r.status, out: JSON.parse(lines[0]!) };
    };
    const ok = runIn();
    expect(ok.code).toBe(0);
    expect(ok.out).toMatchObject({ command: "pip-verify", ok: true, check: { exitCode: 0 }, inspect: { exitCode: 0 } });
    expect(ok.out.check.stdout).toMatch(/No broken requirements found/);
    const names = JSON.parse(fs.readFileSync(out, "utf8")).installed.map((i: { metadata: { name: string } }) => i.metadata.name).sort();
    expect(names).toEqual(["alpha", "beta"]); // the venv's set only: not pip, not the base interpreter's
    dist(sp, "gamma", ["missingdep"]);
    const bad = runIn();
    expect(bad.code).toBe(1);
    expect(bad.out).toMatchObject({ ok: false, check: { exitCode: 1 }, inspect: { exitCode: 0 } });
    expect(bad.out.check.stdout).toMatch(/gamma 1\.0 requires missingdep, which is not installed/);
  });
});
