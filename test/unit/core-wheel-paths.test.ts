/**
 * What pip would refuse late on the target is refused at verify (issue 8 §2): unknown
 * `.data/<scheme>` directories, over-long path components and paths, malformed Requires-Python;
 * start-up hooks (`.pth` files landing in site-packages) are reported as facts.
 */
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectWheel } from "../../src/bundle/wheel-verify";
import { resolveClosure } from "../../src/core/closure";
import { checkInstallPaths, startupHooksOf } from "../../src/core/wheel-paths";
import { buildWheel, WheelSpec } from "../support/wheels";
import { tmpDir } from "../support/unit";

let dir: string;
beforeAll(() => {
  dir = tmpDir("zwh-paths-");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
const wheel = (s: Partial<WheelSpec>) => buildWheel(`${dir}/${++n}`, { name: "demo", version: "1.0", ...s });
const codes = async (p: string) => (await inspectWheel(p)).findings.map((f) => f.code);

describe("install paths", () => {
  it("refuses an unknown .data scheme and a file directly under .data/", async () => {
    expect(await codes(await wheel({ files: { "demo/__init__.py": "", "demo-1.0.data/purelib/extra.py": "", "demo-1.0.data/scripts/tool": "#!python\n" } }))).toEqual([]);
    const r = await inspectWheel(await wheel({ files: { "demo/__init__.py": "", "demo-1.0.data/config/evil.cfg": "x" } }));
    expect(r.findings.map((f) => f.code)).toEqual(["ZWH-WHEEL-DATA-SCHEME"]);
    expect(r.findings[0].message).toMatch(/^demo-1.0-py3-none-any.whl: .*unknown install scheme "config"/);
    expect(await codes(await wheel({ files: { "demo/__init__.py": "", "demo-1.0.data/loose.txt": "x" } }))).toEqual(["ZWH-WHEEL-DATA-SCHEME"]);
  });

  it("refuses a path component over 255 bytes and a path over z/OS PATH_MAX (1023)", async () => {
    expect(await codes(await wheel({ files: { [`demo/${"a".repeat(255)}.py`.replace(".py", "")]: "" } }))).toEqual([]);
    expect(await codes(await wheel({ files: { [`demo/${"a".repeat(253)}.py`]: "" } }))).toEqual(["ZWH-WHEEL-PATH-TOO-LONG"]);
    const deep = Array.from({ length: 9 }, () => "d".repeat(120)).join("/");
    expect(await codes(await wheel({ files: { [`demo/${deep}/x.py`]: "" } }))).toEqual(["ZWH-WHEEL-PATH-TOO-LONG"]);
    expect(checkInstallPaths([`${"é".repeat(128)}`], "demo-1.0.dist-info")[0]?.code).toBe("ZWH-WHEEL-PATH-TOO-LONG"); // 256 bytes in UTF-8
  });

  it("malformed Requires-Python is ZWH-WHEEL-METADATA, at verify and in the closure (not 'the target has …')", async () => {
    const r = await inspectWheel(await wheel({ requiresPython: ">=3.6.*" }));
    expect(r.findings.map((f) => f.code)).toEqual(["ZWH-WHEEL-METADATA"]);
    expect(r.findings[0].message).toMatch(/Requires-Python ">=3.6.\*" is not a valid PEP 440/);
    expect(await codes(await wheel({ requiresPython: ">=3.8, !=3.9.*" }))).toEqual([]);
    const c = resolveClosure([{ filename: "a-1-py3-none-any.whl", name: "a", version: "1", requiresDist: [], requiresPython: "banana" }], undefined, { python_full_version: "3.11.0", python_version: "3.11" });
    expect(c.findings.map((f) => f.code)).toEqual(["ZWH-WHEEL-METADATA"]);
    expect(c.findings[0].message).not.toMatch(/the target has/);
  });
});

describe("start-up hooks", () => {
  it("lists .pth files that land in site-packages, not inert ones deeper in a package", async () => {
    const r = await inspectWheel(await wheel({ files: { "demo/__init__.py": "", "demo-hook.pth": "import os\n", "demo/inner.pth": "x\n", "demo-1.0.data/purelib/other.pth": "import sys\n" } }));
    expect(r.findings).toEqual([]);
    expect(r.facts!.startupHooks).toEqual(["demo-1.0.data/purelib/other.pth", "demo-hook.pth"]);
    expect(startupHooksOf(["a.PTH", "pkg/a.pth", "x.data/platlib/b.pth"], "x.dist-info")).toEqual(["a.PTH", "x.data/platlib/b.pth"]);
  });
});
