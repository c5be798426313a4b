/** createVenv: pip's home + venv --without-pip in one exec, then the interpreter's pip --python (>= 22.3) or an ensurepip fallback. */
import { describe, expect, it } from "vitest";
import { execFileSync } from "child_process";
import { existsSync } from "fs";
import { PIP_PROBE, createVenv } from "../../src/deploy/release";
import type { TargetOps } from "../../src/deploy/target-ops";

function fakeOps(versionOut: { code: number; stdout: string }, venvCode = 0) {
  const calls: Array<{ kind: string; argv: string[][] }> = [];
  const ops = {
    python: "/usr/lpp/py/bin/python3",
    host: "h:22",
    layout: { home: "/r/.wheelhouse/home" },
    batch: async (cmds: string[][]) => {
      calls.push({ kind: "batch", argv: cmds });
      return [{ code: 0, stdout: "" }, { code: venvCode, stdout: "" }, versionOut]; // mkdir pip's home, venv, pip version
    },
    session: {
      execChecked: async (argv: string[]) => {
        calls.push({ kind: "exec", argv: [argv] });
        if (argv.includes("venv") && venvCode !== 0) throw new Error("venv failed: disk full");
        return { code: 0, stdout: "", stderr: "" };
      },
    },
  } as unknown as TargetOps;
  return { ops, calls };
}

describe("createVenv", () => {
  const RUNNER = "/usr/lpp/py/lib/python3.11/site-packages/pip/__pip-runner__.py";
  it("runs the interpreter's pip (>= 22.3) with the venv's interpreter through pip's runner: one Python start, no ensurepip", async () => {
    const { ops, calls } = fakeOps({ code: 0, stdout: `zwh-pip-version=23.2.1\nzwh-pip-runner=${RUNNER}\n` });
    expect(await createVenv(ops, "/r/releases/x/venv")).toEqual(["/r/releases/x/venv/bin/python", RUNNER]);
    expect(calls).toHaveLength(1);
    expect(calls[0].argv[0]).toEqual(["mkdir", "-p", "-m", "700", "/r/.wheelhouse/home"]);
    expect(calls[0].argv[1]).toEqual(["/usr/lpp/py/bin/python3", "-m", "venv", "--without-pip", "/r/releases/x/venv"]);
    expect(calls[0].argv[2]).toEqual(["/usr/lpp/py/bin/python3", "-c", PIP_PROBE]);
  });
  it("uses pip --python when pip >= 22.3 has no runner file (pip in a zip)", async () => {
    const { ops, calls } = fakeOps({ code: 0, stdout: "zwh-pip-version=23.2.1\nzwh-pip-runner=\n" });
    expect(await createVenv(ops, "/r/releases/x/venv")).toEqual(["/usr/lpp/py/bin/python3", "-m", "pip", "--python", "/r/releases/x/venv/bin/python"]);
    expect(calls).toHaveLength(1);
  });
  it("PIP_PROBE names pip's own runner file, which runs that pip under another interpreter (real python3 and pip)", () => {
    const out = execFileSync("python3", ["-c", PIP_PROBE], { encoding: "utf8" });
    const runner = /^zwh-pip-runner=(\/.+)$/m.exec(out)?.[1];
    expect(runner).toMatch(/\/pip\/__pip-runner__\.py$/);
    expect(existsSync(runner!)).toBe(true);
    const version = /zwh-pip-version=(\S+)/.exec(out)![1];
    expect(execFileSync("python3", ["-I", runner!, "--version"], { encoding: "utf8" })).toContain(`pip ${version} `);
  });
  it.each([
    ["an older pip", { code: 0, stdout: "zwh-pip-version=22.2.2\n" }],
    ["pip 9", { code: 0, stdout: "zwh-pip-version=9.0.3\n" }],
    ["no pip", { code: 1, stdout: "" }],
    ["an unparsable version", { code: 0, stdout: "zwh-pip-version=dev\n" }],
  ])("falls back to ensurepip in the venv with %s", async (_n, out) => {
    const { ops, calls } = fakeOps(out);
    expect(await createVenv(ops, "/r/v")).toEqual(["/r/v/bin/python", "-m", "pip"]);
    expect(calls[1]).toEqual({ kind: "exec", argv: [["/r/v/bin/python", "-m", "ensurepip", "--upgrade", "--default-pip"]] });
  });
  it("pip 22.10 counts as >= 22.3", async () => {
    const { ops } = fakeOps({ code: 0, stdout: `zwh-pip-version=22.10\nzwh-pip-runner=${RUNNER}\n` });
    expect(await createVenv(ops, "/r/v")).toEqual(["/r/v/bin/python", RUNNER]);
  });
  it("a failing venv surfaces the command's own error", async () => {
    const { ops } = fakeOps({ code: 0, stdout: "zwh-pip-version=23.2.1\n" }, 1);
    await expect(createVenv(ops, "/r/v")).rejects.toThrow(/disk full/);
  });
});
