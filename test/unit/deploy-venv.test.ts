/** createVenv: venv --without-pip, then the interpreter's pip --python (>= 22.3) or an ensurepip fallback. */
import { describe, expect, it } from "vitest";
import { createVenv } from "../../src/deploy/release";
import type { TargetOps } from "../../src/deploy/target-ops";

function fakeOps(versionOut: { code: number; stdout: string }, venvCode = 0) {
  const calls: Array<{ kind: string; argv: string[][] }> = [];
  const ops = {
    python: "/usr/lpp/py/bin/python3",
    host: "h:22",
    layout: { home: "/r/.wheelhouse/home" },
    batch: async (cmds: string[][]) => {
      calls.push({ kind: "batch", argv: cmds });
      return [{ code: venvCode, stdout: "" }, versionOut];
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
  it("uses the interpreter's pip --python when it is >= 22.3 (no ensurepip)", async () => {
    const { ops, calls } = fakeOps({ code: 0, stdout: "zwh-pip-version=23.2.1\n" });
    expect(await createVenv(ops, "/r/releases/x/venv")).toEqual(["/usr/lpp/py/bin/python3", "-m", "pip", "--python", "/r/releases/x/venv/bin/python"]);
    expect(calls).toHaveLength(1);
    expect(calls[0].argv[0]).toEqual(["/usr/lpp/py/bin/python3", "-m", "venv", "--without-pip", "/r/releases/x/venv"]);
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
    const { ops } = fakeOps({ code: 0, stdout: "zwh-pip-version=22.10\n" });
    expect((await createVenv(ops, "/r/v")).includes("--python")).toBe(true);
  });
  it("a failing venv surfaces the command's own error", async () => {
    const { ops } = fakeOps({ code: 0, stdout: "zwh-pip-version=23.2.1\n" }, 1);
    await expect(createVenv(ops, "/r/v")).rejects.toThrow(/disk full/);
  });
});
