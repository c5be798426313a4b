// The simulated IBM Open Enterprise SDK for Python: z/OS identity in the base interpreter and in
// venvs, and real pip's tag matching against it (reference zos-uss.md §6, §7, §8, §12).
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SimCluster, type SimHost, buildTestWheel, setSimSwitches, simExec, startUssHosts } from "../sim/index";

let sim: SimCluster;
let h: SimHost;
let pyver: string; // e.g. "311"

const IDENT = `-c 'import sys,platform,sysconfig,os;print(sys.platform,platform.system(),sysconfig.get_platform());print(" ".join(os.uname()))'`;

beforeAll(async () => {
  sim = await startUssHosts();
  h = sim.hosts[0];
  const v = await simExec(h, `${h.pythonPath} -c 'import sys;print("%d%d"%sys.version_info[:2])'`);
  expect(v.code).toBe(0);
  pyver = v.stdout.trim();
  // one venv for the whole file (creating one runs ensurepip: a few seconds)
  const r = await simExec(h, `${h.pythonPath} -m venv venv`);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
});

afterAll(async () => {
  await sim?.stop();
});

describe("SDK interpreter identity", () => {
  it("acceptance: the base interpreter reports zos / OS/390 / os390-29.00-8561", async () => {
    const r = await simExec(h, `${h.pythonPath} ${IDENT}`);
    expect(r.stdout).toBe("zos OS/390 os390-29.00-8561\nOS/390 LPAR1 29.00 04 8561\n");
  });

  it("keeps the identity under -I and via the versioned name", async () => {
    const r = await simExec(h, `${path.dirname(h.pythonPath)}/python3.${pyver.slice(1)} -I ${IDENT}`);
    expect(r.stdout.split("\n")[0]).toBe("zos OS/390 os390-29.00-8561");
  });

  it("a venv created from it is z/OS too, and symlinks back to the SDK", async () => {
    const r = await simExec(h, `venv/bin/python ${IDENT}; venv/bin/python -c 'import sys;print(sys.base_prefix)'`);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("zos OS/390 os390-29.00-8561");
    expect(lines[2]).toBe(path.dirname(path.dirname(h.pythonPath)));
    expect(fs.lstatSync(path.join(h.home, "venv/bin/python3")).isSymbolicLink()).toBe(true);
  });

  it("pip computes z/OS platform tags", async () => {
    const r = await simExec(h, "venv/bin/python -m pip debug --verbose 2>/dev/null");
    const tags = r.stdout
      .split("\n")
      .filter((l) => /^\s+\S+-\S+-\S+$/.test(l))
      .map((l) => l.trim());
    expect(tags[0]).toBe(`cp${pyver}-cp${pyver}-os390_29_00_8561`);
    expect(tags).toContain(`cp${pyver}-none-any`);
    expect(tags).toContain("py3-none-any");
    expect(tags.some((t) => t.includes("manylinux") || t.includes("linux_x86_64"))).toBe(false);
  });

  it("python is not on PATH outside the SDK path", async () => {
    const r = await simExec(h, "python3 -c 1; echo rc=$?");
    expect(r.stdout).toBe("rc=127\n");
  });
});

describe("pip against the simulated platform", () => {
  let wheels: string;
  beforeAll(() => {
    wheels = path.join(h.home, "wheels");
    buildTestWheel(wheels, "purepkg", "1.0", "py3-none-any");
    buildTestWheel(wheels, "linuxpkg", "1.0", `cp${pyver}-cp${pyver}-manylinux_2_17_x86_64`);
    buildTestWheel(wheels, "zospkg", "1.0", `cp${pyver}-cp${pyver}-os390_29_00_8561`);
    buildTestWheel(wheels, "oldzos", "1.0", `cp${pyver}-cp${pyver}-os390_27_00_8561`);
  });

  const PIP = "PIP_CONFIG_FILE=/dev/null venv/bin/python -m pip install --isolated --no-index --find-links wheels --only-binary=:all: --no-cache-dir";

  it("refuses a manylinux wheel with pip's 'No matching distribution'", async () => {
    const r = await simExec(h, `${PIP} linuxpkg==1.0`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ERROR: Could not find a version that satisfies the requirement linuxpkg==1.0 (from versions: none)");
    expect(r.stderr).toContain("ERROR: No matching distribution found for linuxpkg==1.0");
  });

  it("refuses a wheel for another z/OS release", async () => {
    const r = await simExec(h, `${PIP} oldzos==1.0`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No matching distribution found for oldzos==1.0");
  });

  it("installs py3-none-any and os390_29_00_8561 wheels; installed files are untagged by default", async () => {
    const r = await simExec(h, `${PIP} purepkg==1.0 zospkg==1.0`);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Successfully installed purepkg-1.0 zospkg-1.0");
    const imp = await simExec(h, "venv/bin/python -c 'import purepkg,zospkg;print(purepkg.VERSION, zospkg.VERSION)'");
    expect(imp.stdout).toBe("1.0 1.0\n");
    const tag = await simExec(h, `chtag -p venv/lib/python3.${pyver.slice(1)}/site-packages/purepkg/__init__.py`);
    expect(tag.stdout).toMatch(/^- untagged    T=off /);
  });

  it("pipTagsInstalledFiles tags what pip installs", async () => {
    setSimSwitches(h, { pipTagsInstalledFiles: true });
    try {
      buildTestWheel(wheels, "tagpkg", "1.0", "py3-none-any");
      const r = await simExec(h, `${PIP} tagpkg==1.0`);
      expect(r.code).toBe(0);
      const sp = `venv/lib/python3.${pyver.slice(1)}/site-packages`;
      const tag = await simExec(h, `chtag -p ${sp}/tagpkg/__init__.py ${sp}/tagpkg-1.0.dist-info/METADATA`);
      expect(tag.stdout).toBe(
        `t ISO8859-1   T=on  ${sp}/tagpkg/__init__.py\nt ISO8859-1   T=on  ${sp}/tagpkg-1.0.dist-info/METADATA\n`,
      );
    } finally {
      setSimSwitches(h, { pipTagsInstalledFiles: false });
    }
  });
});

describe("the SDK's pip bytecode (switch sdkPipBytecode)", () => {
  // Where the SDK's pip takes its compiled modules from, and whether the session user could write any.
  const PIPCACHE = `-c 'import os, pip._internal.cli.main as m; print(os.path.exists(m.__cached__), os.access(os.path.dirname(m.__cached__), os.W_OK))'`;

  it("default: pip's modules come compiled, as an installer leaves them", async () => {
    const r = await simExec(h, `${h.pythonPath} -B ${PIPCACHE}`);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("True False\n");
  });

  it("sdkPipBytecode false: no bytecode, and none can be written by the session user", async () => {
    const other = await startUssHosts({ switches: { sdkPipBytecode: false } });
    try {
      const o = other.hosts[0];
      const r = await simExec(o, `${o.pythonPath} ${PIPCACHE}`);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("False False\n");
      expect(() => setSimSwitches(o, { sdkPipBytecode: true })).toThrow(/only be set at start/);
    } finally {
      await other.stop();
    }
  });
});
