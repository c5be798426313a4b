import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const HELPER = path.resolve(__dirname, "../../src/remote/helpers/zwh_target.py");
// The set-up's Python 3 (scripts/lib/setup.sh installs Debian's); never a path of one machine.
// Resolved to the interpreter's own path (fake releases link venv/bin/python to it).
const PY = spawnSync(process.env.ZWH_TEST_PYTHON ?? "python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).stdout.trim();
const HELPERS = [
  HELPER,
  path.resolve(__dirname, "../../src/remote/helpers/probe.py"),
  path.resolve(__dirname, "../../src/remote/helpers/dsse_verify.py"),
  path.resolve(__dirname, "../../src/deploy/helpers/zwh_deploy.py"),
];
const PY38_CHECK = path.resolve(__dirname, "../support/py38_compat.py");

/** Problems test/support/py38_compat.py finds in a file (see there why the check is static). */
function py38Problems(file: string): Array<[number, string]> {
  const r = spawnSync(PY, [PY38_CHECK, file], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout).problems;
}

interface Out {
  code: number | null;
  out: Record<string, any>;
  stderr: string;
}

/** Run the helper exactly as deploy does: argv only, no shell, no stdin. */
function helper(args: string[], py = PY): Out {
  const r = spawnSync(py, [HELPER, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  const lines = r.stdout.split("\n").filter((l) => l.length > 0);
  expect(lines, `stdout must be one JSON line; stderr: ${r.stderr}`).toHaveLength(1);
  expect(/^[\x20-\x7e]*$/.test(lines[0]!), "stdout must be printable ASCII").toBe(true);
  const out = JSON.parse(lines[0]!);
  expect(out).toMatchObject({ helper: "zwh_target", version: 1 });
  return { code: r.status, out, stderr: r.stderr };
}

function helperAsync(args: string[], py = PY): Promise<Out> {
  return new Promise((resolve) => {
    const p = spawn(py, [HELPER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code, out: JSON.parse(stdout), stderr }));
  });
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

let tmp: string;
beforeAll(() => {
  // Spaces and shell metacharacters everywhere: paths only ever travel as argv.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zwh helpers $x;'"));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function mkdir(...parts: string[]): string {
  const d = path.join(tmp, ...parts);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

describe("helper source", () => {
  it("parses as Python 3.8 and imports nothing outside the stdlib", () => {
    const r = spawnSync(PY, ["-c", "import ast,sys; ast.parse(open(sys.argv[1],'rb').read(), feature_version=(3,8)); print('ok')", HELPER], { encoding: "utf8" });
    expect(r.stdout.trim(), r.stderr).toBe("ok");
    const src = fs.readFileSync(HELPER, "utf8");
    const imports = [...src.matchAll(/^import (\w+)/gm)].map((m) => m[1]);
    const stdlib = ["argparse", "base64", "csv", "datetime", "errno", "hashlib", "io", "json", "os", "re", "shutil", "stat", "subprocess", "sys", "uuid"];
    expect(imports.every((m) => stdlib.includes(m!))).toBe(true);
    expect(src).not.toMatch(/^from (?!__future__)/m);
    // 3.9+ string/dict APIs that would break on IBM Python 3.8.
    expect(src).not.toMatch(/removeprefix|removesuffix|\.is_relative_to\(/);
  });

  it("answers usage errors with one JSON object and exit 1", () => {
    const r = helper(["no-such-command"]);
    expect(r.code).toBe(1);
    expect(r.out.error.code).toBe("ZWH-HELPER-USAGE");
    expect(helper(["lock", "acquire", "--root", tmp]).out.error.code).toBe("ZWH-HELPER-USAGE");
  });
});

describe("hash", () => {
  it("hashes files with awkward names, streaming large files", () => {
    const d = mkdir("hash");
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const names = ["a b;$(touch x)'.whl", "caf\u00e9.txt", "-dash"];
    fs.writeFileSync(path.join(d, names[0]!), big);
    fs.writeFileSync(path.join(d, names[1]!), "hello");
    fs.writeFileSync(path.join(d, names[2]!), "");
    const r = helper(["hash", "--", ...names.map((n) => path.join(d, n))]);
    expect(r.code).toBe(0);
    expect(r.out.files.map((f: any) => [path.basename(f.path), f.sha256, f.size])).toEqual([
      [names[0], sha256(big), big.length],
      [names[1], sha256("hello"), 5],
      [names[2], sha256(""), 0],
    ]);
    expect(fs.existsSync(path.join(d, "x"))).toBe(false);
  });

  it("checks expectations and reports every mismatch kind with exit 3", () => {
    const d = mkdir("hash-expect");
    const a = path.join(d, "a=1.whl"); // '=' in a path must not confuse PATH=SHA:SIZE parsing
    const b = path.join(d, "b.whl");
    fs.writeFileSync(a, "aaa");
    fs.writeFileSync(b, "bbb");
    const ok = helper(["hash", "--expect", `${a}=${sha256("aaa")}:3`, "--expect", `${b}=${sha256("bbb")}:3`]);
    expect(ok.code).toBe(0);
    expect(ok.out.mismatches).toEqual([]);

    const expectFile = path.join(d, "expect.json");
    fs.writeFileSync(expectFile, JSON.stringify({ files: [
      { path: a, sha256: sha256("xxx"), size: 3 },
      { path: b, sha256: sha256("bbb"), size: 4 },
      { path: path.join(d, "gone.whl"), sha256: sha256("g"), size: 1 },
    ] }));
    const bad = helper(["hash", "--expect-file", expectFile]);
    expect(bad.code).toBe(3);
    expect(bad.out.ok).toBe(false);
    expect(bad.out.mismatches.map((m: any) => [path.basename(m.path), m.reason])).toEqual([
      ["a=1.whl", "sha256"],
      ["b.whl", "size"],
      ["gone.whl", "missing"],
    ]);
    expect(bad.out.mismatches[0].actual).toEqual({ sha256: sha256("aaa"), size: 3 });
  });

  it("is an error (exit 1) for an unreadable file nobody expected, and never blocks on a FIFO", () => {
    const d = mkdir("hash-err");
    const fifo = path.join(d, "fifo");
    spawnSync("mkfifo", [fifo]);
    const r = helper(["hash", "--", path.join(d, "nope"), fifo]);
    expect(r.code).toBe(1);
    expect(r.out.errors.map((e: any) => e.reason)).toEqual(["missing", "not-regular"]);
    expect(helper(["hash", "--expect", "x=nothex:1"]).code).toBe(1);
  });
});

describe("store-commit", () => {
  it("commits verified files under sha256/<hex>/<name>, deletes bad ones, leaves unexpected ones", () => {
    const staging = mkdir("sc", "staging dir");
    const store = path.join(tmp, "sc", "store");
    fs.writeFileSync(path.join(staging, "good-1.0-py3-none-any.whl"), "good bytes");
    fs.writeFileSync(path.join(staging, "bad-1.0-py3-none-any.whl"), "tampered bytes");
    fs.writeFileSync(path.join(staging, "extra.txt"), "?");
    const r = helper([
      "store-commit", "--staging", staging, "--store", store,
      "--expect", `good-1.0-py3-none-any.whl=${sha256("good bytes")}:10`,
      "--expect", `bad-1.0-py3-none-any.whl=${sha256("original bytes")}:14`,
      "--expect", `missing-1.0-py3-none-any.whl=${sha256("m")}:1`,
    ]);
    expect(r.code).toBe(3);
    const final = path.join(store, "sha256", sha256("good bytes"), "good-1.0-py3-none-any.whl");
    expect(r.out.committed).toEqual([{ name: "good-1.0-py3-none-any.whl", sha256: sha256("good bytes"), size: 10, path: final, status: "committed" }]);
    expect(fs.readFileSync(final, "utf8")).toBe("good bytes");
    expect(r.out.rejected.map((x: any) => [x.name, x.reason, x.deleted])).toEqual([
      ["bad-1.0-py3-none-any.whl", "sha256", true],
      ["missing-1.0-py3-none-any.whl", "missing", false],
    ]);
    expect(r.out.unexpected).toEqual(["extra.txt"]);
    // Bad file gone from staging and never reached a final name; nothing left in .incoming.
    expect(fs.readdirSync(staging)).toEqual(["extra.txt"]);
    expect(fs.existsSync(path.join(store, "sha256", sha256("tampered bytes")))).toBe(false);
    expect(fs.readdirSync(path.join(store, ".incoming"))).toEqual([]);
  });

  it("is idempotent and repairs a corrupted store entry", () => {
    const staging = mkdir("sc2", "staging");
    const store = path.join(tmp, "sc2", "store");
    const exp = `w-1.0-py3-none-any.whl=${sha256("wheel")}:5`;
    fs.writeFileSync(path.join(staging, "w-1.0-py3-none-any.whl"), "wheel");
    expect(helper(["store-commit", "--staging", staging, "--store", store, "--expect", exp]).out.committed[0].status).toBe("committed");
    fs.writeFileSync(path.join(staging, "w-1.0-py3-none-any.whl"), "wheel");
    expect(helper(["store-commit", "--staging", staging, "--store", store, "--expect", exp]).out.committed[0].status).toBe("already-present");
    const final = path.join(store, "sha256", sha256("wheel"), "w-1.0-py3-none-any.whl");
    fs.writeFileSync(final, "rotten");
    fs.writeFileSync(path.join(staging, "w-1.0-py3-none-any.whl"), "wheel");
    const r = helper(["store-commit", "--staging", staging, "--store", store, "--expect", exp]);
    expect([r.code, r.out.committed[0].status]).toEqual([0, "repaired"]);
    expect(fs.readFileSync(final, "utf8")).toBe("wheel");
    expect(fs.readdirSync(staging)).toEqual([]);
  });

  it("refuses names that are not a single path component", () => {
    const staging = mkdir("sc3");
    const r = helper(["store-commit", "--staging", staging, "--store", path.join(tmp, "sc3s"), "--expect", `../x.whl=${sha256("x")}:1`]);
    expect([r.code, r.out.error.code]).toEqual([1, "ZWH-HELPER-BAD-NAME"]);
  });
});

describe("record-verify against a real venv", () => {
  let root: string;
  let venv: string;
  let site: string;

  /** Build a tiny wheel with a module, a sub-module and a console script, using zipfile. */
  function buildWheel(dest: string): string {
    const script = `
import base64, hashlib, sys, zipfile
dest = sys.argv[1]
files = {
  "tiny_pkg/__init__.py": b"def main():\\n    print('tiny')\\n",
  "tiny_pkg/util.py": b"X = 1\\n",
  "tiny_pkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: tiny-pkg\\nVersion: 1.0\\n",
  "tiny_pkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
  "tiny_pkg-1.0.dist-info/entry_points.txt": b"[console_scripts]\\ntiny = tiny_pkg:main\\n",
}
def h(b):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
record = "".join("%s,%s,%d\\n" % (n, h(b), len(b)) for n, b in files.items()) + "tiny_pkg-1.0.dist-info/RECORD,,\\n"
path = dest + "/tiny_pkg-1.0-py3-none-any.whl"
with zipfile.ZipFile(path, "w") as z:
    for n, b in files.items():
        z.writestr(n, b)
    z.writestr("tiny_pkg-1.0.dist-info/RECORD", record)
print(path)
`;
    const r = spawnSync(PY, ["-c", script, dest], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim();
  }

  beforeAll(() => {
    root = mkdir("rv root");
    venv = path.join(root, "releases", "r1", "venv");
    fs.mkdirSync(path.dirname(venv), { recursive: true });
    const mk = spawnSync(PY, ["-m", "venv", venv], { encoding: "utf8" });
    expect(mk.status, mk.stderr).toBe(0);
    const wheels = mkdir("rv wheels");
    buildWheel(wheels);
    // Install by name from --find-links, as deploy does (a wheel *path* containing ';' would
    // be parsed by pip as an environment marker, and writes direct_url.json).
    const pip = spawnSync(
      path.join(venv, "bin", "python"),
      ["-m", "pip", "install", "--isolated", "--no-index", "--find-links", wheels, "--only-binary=:all:", "--no-deps", "--disable-pip-version-check", "--no-cache-dir", "--no-input", "tiny-pkg==1.0"],
      { encoding: "utf8", env: { ...process.env, PIP_CONFIG_FILE: "/dev/null" } },
    );
    expect(pip.status, pip.stderr + pip.stdout).toBe(0);
    site = fs.readdirSync(path.join(venv, "lib")).map((d) => path.join(venv, "lib", d, "site-packages"))[0]!;
    // Import once so __pycache__ dirs exist (they must not count as unowned).
    spawnSync(path.join(venv, "bin", "python"), ["-c", "import tiny_pkg, tiny_pkg.util"]);
    expect(fs.existsSync(path.join(site, "tiny_pkg", "__pycache__"))).toBe(true);
  }, 180_000);

  it("a freshly installed venv verifies clean (pip's rewritten script and RECORD agree)", () => {
    const r = helper(["record-verify", "--venv", venv]);
    expect(r.out.findings).toEqual([]);
    expect(r.code).toBe(0);
    const names = r.out.distributions.map((d: any) => d.name);
    expect(names).toEqual(expect.arrayContaining(["tiny-pkg", "pip"]));
    expect(r.out.checked).toBeGreaterThan(100);
    expect(r.out.site_packages).toEqual([site]);
  });

  it("inspect-release passes on the intact release, with RECORD verification", () => {
    const r = helper(["inspect-release", "--root", root, "--release", "r1", "--verify-record"]);
    expect(r.code, JSON.stringify(r.out.checks)).toBe(0);
    expect(r.out.checks.map((c: any) => c.name)).toEqual(["release-dir", "pyvenv.cfg", "venv-python", "pyvenv-home", "record-verify"]);
    expect(r.out.pyvenv.home).toBeTruthy();
  });

  it("reports a modified file, a deleted file, a tampered script, a blanked hash and an unowned .pth", () => {
    fs.appendFileSync(path.join(site, "tiny_pkg", "__init__.py"), "import os  # backdoor\n");
    fs.rmSync(path.join(site, "tiny_pkg", "util.py"));
    fs.appendFileSync(path.join(venv, "bin", "tiny"), "# tampered\n");
    fs.writeFileSync(path.join(site, "evil.pth"), "import os; os.system('id')\n");
    fs.writeFileSync(path.join(site, "tiny_pkg", "__pycache__", "extra.cpython-311.pyc"), "x"); // regenerable: ignored
    const recordPath = path.join(site, "tiny_pkg-1.0.dist-info", "RECORD");
    const rec = fs.readFileSync(recordPath, "utf8").split("\n");
    const i = rec.findIndex((l) => l.startsWith("tiny_pkg-1.0.dist-info/entry_points.txt,"));
    rec[i] = "tiny_pkg-1.0.dist-info/entry_points.txt,,";
    fs.writeFileSync(recordPath, rec.join("\n"));

    for (const args of [["--venv", venv], ["--site-packages", site]]) {
      const r = helper(["record-verify", ...args]);
      expect(r.code).toBe(3);
      const got = r.out.findings.map((f: any) => [f.kind, f.path]).sort();
      expect(got).toEqual(
        [
          ["missing", "tiny_pkg/util.py"],
          ["modified", "../../../bin/tiny"],
          ["modified", "tiny_pkg/__init__.py"],
          ["unhashed", "tiny_pkg-1.0.dist-info/entry_points.txt"],
          ["unowned", "evil.pth"],
        ].sort(),
      );
      const mod = r.out.findings.find((f: any) => f.path === "tiny_pkg/__init__.py");
      expect(mod.reasons).toEqual(["hash", "size"]);
      expect(mod.dist).toBe("tiny-pkg");
      expect(r.out.findings.find((f: any) => f.path === "evil.pth").suspicious).toBe("pth");
      expect(r.out.counts).toEqual({ missing: 1, modified: 2, unhashed: 1, unowned: 1 });
    }
    // inspect-release now fails its record check, but only with the flag.
    expect(helper(["inspect-release", "--release-dir", path.join(root, "releases", "r1"), "--verify-record"]).code).toBe(3);
    expect(helper(["inspect-release", "--release-dir", path.join(root, "releases", "r1")]).code).toBe(0);
  });

  it("is an error when the venv has no site-packages", () => {
    const r = helper(["record-verify", "--venv", mkdir("empty venv")]);
    expect([r.code, r.out.error.code]).toEqual([1, "ZWH-HELPER-NOT-FOUND"]);
  });
});

/** A minimal release: venv/pyvenv.cfg and venv/bin/python -> the real interpreter. */
function fakeRelease(root: string, id: string, activatedAt?: string): string {
  const rd = path.join(root, "releases", id);
  fs.mkdirSync(path.join(rd, "venv", "bin"), { recursive: true });
  fs.writeFileSync(path.join(rd, "venv", "pyvenv.cfg"), `home = ${path.dirname(PY)}\nversion = 3.11.7\n`);
  fs.symlinkSync(fs.realpathSync(PY), path.join(rd, "venv", "bin", "python"));
  if (activatedAt !== undefined) fs.writeFileSync(path.join(rd, "receipt.json"), JSON.stringify({ releaseId: id, activatedAt }));
  return rd;
}

describe("activate", () => {
  it("switches current atomically with a relative target and keeps previous", () => {
    const root = mkdir("act root");
    fakeRelease(root, "r1", "");
    fakeRelease(root, "r2");
    const a = helper(["activate", "--root", root, "--release", "r1"]);
    expect(a.code).toBe(0);
    expect(a.out).toMatchObject({ previous: null, current: "releases/r1", changed: true, receipt_stamped: true });
    expect(fs.readlinkSync(path.join(root, "current"))).toBe("releases/r1");
    expect(JSON.parse(fs.readFileSync(path.join(root, "releases", "r1", "receipt.json"), "utf8")).activatedAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);

    const b = helper(["activate", "--root", root, "--release", "r2", "--expect-current", "releases/r1"]);
    expect(b.out).toMatchObject({ previous: "releases/r1", previous_release: "r1", current: "releases/r2", release: "r2", changed: true, receipt_stamped: false });
    expect(fs.readlinkSync(path.join(root, "previous"))).toBe("releases/r1");

    // Idempotent; and a stale compare-and-swap guard is refused.
    expect(helper(["activate", "--root", root, "--release", "r2"]).out.changed).toBe(false);
    const cas = helper(["activate", "--root", root, "--release", "r1", "--expect-current", "releases/r1"]);
    expect([cas.code, cas.out.error.code]).toEqual([3, "ZWH-ACTIVATE-CURRENT-CHANGED"]);

    // Rollback = activate previous: the two swap.
    helper(["activate", "--root", root, "--release", "r1"]);
    expect([fs.readlinkSync(path.join(root, "current")), fs.readlinkSync(path.join(root, "previous"))]).toEqual(["releases/r1", "releases/r2"]);
    // No temp links left behind.
    expect(fs.readdirSync(root).sort()).toEqual([".wheelhouse", "current", "previous", "releases"]);
    expect(fs.readdirSync(path.join(root, ".wheelhouse"))).toEqual([".guard"]); // activate's fcntl guard, nothing else
    // The root can be moved: the link is relative.
    const moved = path.join(tmp, "act moved");
    fs.renameSync(root, moved);
    expect(fs.existsSync(path.join(moved, "current", "venv", "pyvenv.cfg"))).toBe(true);
  });

  it("refuses a missing release, a broken venv, and a current that is not a symlink", () => {
    const root = mkdir("act refuse");
    let r = helper(["activate", "--root", root, "--release", "nope"]);
    expect([r.code, r.out.error.code]).toEqual([3, "ZWH-ACTIVATE-RELEASE-BROKEN"]);
    const rd = fakeRelease(root, "dangling");
    fs.rmSync(path.join(rd, "venv", "bin", "python"));
    fs.symlinkSync("/nonexistent/python3", path.join(rd, "venv", "bin", "python"));
    r = helper(["activate", "--root", root, "--release", "dangling"]);
    expect(r.code).toBe(3);
    expect(r.out.error.checks.find((c: any) => c.name === "venv-python").detail).toMatch(/dangling/);
    fakeRelease(root, "fine");
    fs.mkdirSync(path.join(root, "current"));
    r = helper(["activate", "--root", root, "--release", "fine"]);
    expect([r.code, r.out.error.code]).toEqual([3, "ZWH-ACTIVATE-NOT-SYMLINK"]);
    expect(helper(["activate", "--root", root, "--release", "../x"]).out.error.code).toBe("ZWH-HELPER-BAD-NAME");
  });

  it("a concurrent reader never sees current missing during 200 swaps", () => {
    const root = mkdir("act race");
    fakeRelease(root, "a");
    fakeRelease(root, "b");
    // Writer: the helper's own activate, in-process 200 times. Readers: a thread in the
    // same process and a separate process, both spinning on readlink + stat.
    const script = `
import importlib.util, io, os, subprocess, sys, threading, contextlib
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
helper, root = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("zwh_target", helper)
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
cur = os.path.join(root, "current")
with contextlib.redirect_stdout(io.StringIO()):
    m.main(["activate", "--root", root, "--release", "a"])
stop = os.path.join(root, "stop")
reader = """
import os, sys
cur, stop = sys.argv[1], sys.argv[2]
n = bad = 0
while not os.path.exists(stop):
    n += 1
    try:
        os.readlink(cur); os.stat(os.path.join(cur, 'venv', 'pyvenv.cfg'))
    except OSError:
        bad += 1
print(n, bad)
"""
proc = subprocess.Popen([sys.executable, "-c", reader, cur, stop], stdout=subprocess.PIPE, text=True)
state = {"n": 0, "bad": 0, "stop": False}
def spin():
    while not state["stop"]:
        state["n"] += 1
        try:
            os.readlink(cur); os.stat(os.path.join(cur, "venv", "pyvenv.cfg"))
        except OSError:
            state["bad"] += 1
t = threading.Thread(target=spin); t.start()
codes = set()
with contextlib.redirect_stdout(io.StringIO()):
    for i in range(200):
        codes.add(m.main(["activate", "--root", root, "--release", "b" if i % 2 == 0 else "a"]))
state["stop"] = True; t.join()
open(stop, "w").close()
pn, pbad = map(int, proc.communicate()[0].split())
print(sorted(codes), state["n"], state["bad"], pn, pbad, os.readlink(cur))
`;
    const r = spawnSync(PY, ["-c", script, HELPER, root], { encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const [codes, tn, tbad, pn, pbad, final] = r.stdout.trim().split(/ (?![^[]*\])/);
    expect(codes).toBe("[0]");
    expect(Number(tn)).toBeGreaterThan(0);
    expect(Number(pn)).toBeGreaterThan(0);
    expect([Number(tbad), Number(pbad)]).toEqual([0, 0]);
    expect(final).toBe("releases/a");
  });
});

describe("inspect-release", () => {
  it("fails file checks for a release missing pyvenv.cfg", () => {
    const root = mkdir("insp");
    const rd = fakeRelease(root, "r1");
    expect(helper(["inspect-release", "--release-dir", rd]).code).toBe(0);
    // A venv without site-packages cannot pass RECORD verification: a failed check, not a crash.
    const nv = helper(["inspect-release", "--release-dir", rd, "--verify-record"]);
    expect([nv.code, nv.out.checks.at(-1)]).toEqual([3, { name: "record-verify", ok: false, detail: expect.stringMatching(/site-packages/) }]);
    fs.rmSync(path.join(rd, "venv", "pyvenv.cfg"));
    const r = helper(["inspect-release", "--release-dir", rd]);
    expect(r.code).toBe(3);
    expect(r.out.checks.filter((c: any) => !c.ok).map((c: any) => c.name)).toEqual(["pyvenv.cfg"]);
    expect(r.out.receipt).toBeNull();
  });
});

describe("prune", () => {
  it("keeps the N newest by activatedAt (mtime fallback) and never current or previous", () => {
    const root = mkdir("prune root");
    fakeRelease(root, "r1", "2025-01-01T00:00:00Z");
    fakeRelease(root, "r2", "2025-02-01T00:00:00.000Z");
    fakeRelease(root, "r3", "2025-03-01T00:00:00+00:00");
    fakeRelease(root, "r4", "2025-04-01T00:00:00Z");
    const r5 = fakeRelease(root, "r5"); // never activated: dir mtime, made very old
    fs.utimesSync(r5, new Date("2020-01-01"), new Date("2020-01-01"));
    fs.symlinkSync("releases/r1", path.join(root, "current"));
    fs.symlinkSync(path.join(root, "releases", "r2"), path.join(root, "previous")); // absolute also understood

    const dry = helper(["prune", "--root", root, "--keep", "1", "--dry-run"]);
    expect(dry.out).toMatchObject({ removed: ["r3", "r5"], dry_run: true });
    expect(fs.readdirSync(path.join(root, "releases")).sort()).toEqual(["r1", "r2", "r3", "r4", "r5"]);

    const r = helper(["prune", "--root", root, "--keep", "1"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatchObject({ kept: ["r4", "r2", "r1"], removed: ["r3", "r5"], protected: ["r1", "r2"], errors: [] });
    expect(fs.readdirSync(path.join(root, "releases")).sort()).toEqual(["r1", "r2", "r4"]);

    expect(helper(["prune", "--root", root, "--keep", "0", "--protect", "r4"]).out.removed).toEqual([]);
    expect(helper(["prune", "--root", root, "--keep", "0"]).out.removed).toEqual(["r4"]);
  });
});

describe("lock", () => {
  const owner = JSON.stringify({ run_id: "run-1", operation: "deploy", who: { local: "alice", zos: "ZWH" }, message: "weekly \"push\" $HOME" });

  it("acquire, held, heartbeat, release by owner id only", () => {
    const root = mkdir("lock root");
    const a = helper(["lock", "acquire", "--root", root, "--owner-json", owner, "--ttl", "600"]);
    expect(a.code).toBe(0);
    const id = a.out.lock_id as string;
    expect(a.out.owner).toMatchObject({ lock_id: id, run_id: "run-1", message: "weekly \"push\" $HOME", ttl_seconds: 600 });
    const owned = JSON.parse(fs.readFileSync(path.join(root, ".wheelhouse", "lock", "owner.json"), "utf8"));
    expect(owned.lock_id).toBe(id);

    const b = helper(["lock", "acquire", "--root", root, "--owner-json", "{}"]);
    expect(b.code).toBe(3);
    expect(b.out).toMatchObject({ held: true, stale: false, incomplete: false, owner: { lock_id: id }, error: { code: "ZWH-LOCK-HELD" } });

    expect(helper(["lock", "status", "--root", root]).out).toMatchObject({ held: true, stale: false, owner: { lock_id: id } });

    const hb = helper(["lock", "heartbeat", "--root", root, "--lock-id", id, "--ttl", "1200"]);
    expect(hb.code).toBe(0);
    expect(Date.parse(hb.out.owner.expires_at)).toBeGreaterThan(Date.parse(a.out.owner.expires_at));
    expect(helper(["lock", "heartbeat", "--root", root, "--lock-id", "other"]).out).toMatchObject({ lost: true });

    const wrong = helper(["lock", "release", "--root", root, "--lock-id", "other"]);
    expect([wrong.code, wrong.out.reason]).toEqual([3, "not-owner"]);
    expect(helper(["lock", "release", "--root", root, "--lock-id", id]).out).toMatchObject({ released: true });
    expect(fs.readdirSync(path.join(root, ".wheelhouse"))).toEqual([".guard"]); // no lock remnants, only the guard file
    expect(helper(["lock", "release", "--root", root, "--lock-id", id]).out).toMatchObject({ released: false, reason: "not-held" });
  });

  it("reports stale and incomplete locks, and break returns the owner it broke", () => {
    const root = mkdir("lock stale");
    const lockDir = path.join(root, ".wheelhouse", "lock");
    fs.mkdirSync(lockDir, { recursive: true });
    // Incomplete (acquirer between mkdir and write): held, not yet stale.
    expect(helper(["lock", "status", "--root", root]).out).toMatchObject({ held: true, owner: null, incomplete: true, stale: false });
    fs.writeFileSync(path.join(lockDir, "owner.json"), JSON.stringify({ lock_id: "L1", who: "bob", expires_at: "2020-01-01T00:00:00Z" }));
    const st = helper(["lock", "acquire", "--root", root, "--owner-json", owner]);
    expect(st.out).toMatchObject({ held: true, stale: true, owner: { lock_id: "L1", who: "bob" } });
    // Never auto-broken; breaking names the lock and returns whose it was.
    const mismatch = helper(["lock", "break", "--root", root, "--lock-id", "L2"]);
    expect([mismatch.code, mismatch.out.reason]).toEqual([3, "lock-id-mismatch"]);
    const br = helper(["lock", "break", "--root", root, "--lock-id", "L1"]);
    expect(br.out).toMatchObject({ broken: true, stale: true, owner: { lock_id: "L1", who: "bob" } });
    expect(helper(["lock", "status", "--root", root]).out.held).toBe(false);
  });

  it("exactly one of several simultaneous acquirers wins", async () => {
    const root = mkdir("lock race");
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => helperAsync(["lock", "acquire", "--root", root, "--owner-json", JSON.stringify({ run_id: `r${i}` })])),
    );
    expect(results.filter((r) => r.code === 0)).toHaveLength(1);
    expect(results.filter((r) => r.code === 3)).toHaveLength(7);
    const winner = results.find((r) => r.code === 0)!.out.lock_id;
    expect(helper(["lock", "status", "--root", root]).out.owner.lock_id).toBe(winner);
  });
});

describe("audit-append", () => {
  it("appends one JSON line per call, creating parent dirs, also under concurrency", async () => {
    const root = path.join(tmp, "audit root", "not yet");
    const r = helper(["audit-append", "--root", root, "--json", JSON.stringify({ event: "deploy.start", run_id: "x", note: "caf\u00e9" })]);
    expect(r.code).toBe(0);
    const logPath = path.join(root, ".wheelhouse", "audit.log");
    expect(r.out).toMatchObject({ appended: true, path: logPath });
    await Promise.all(Array.from({ length: 10 }, (_, i) => helperAsync(["audit-append", "--root", root, "--json", JSON.stringify({ event: "tick", i, pad: "x".repeat(2000) })])));
    const lines = fs.readFileSync(logPath, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(11);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed[0]).toMatchObject({ event: "deploy.start", note: "caf\u00e9" });
    expect(parsed[0].target_ts).toMatch(/Z$/);
    expect(parsed.slice(1).map((p) => p.i).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(lines[0]).toMatch(/^[\x20-\x7e]+$/);
    expect(helper(["audit-append", "--root", root, "--json", "[1]"]).code).toBe(1);
  });
});

describe("Python 3.8 compatibility (static: no 3.8 interpreter is installable here)", () => {
  it.each(HELPERS)("%s uses no syntax or stdlib API newer than 3.8", (file) => {
    expect(py38Problems(file)).toEqual([]);
  });

  it("the checker finds each kind of 3.9+ construct (so an empty list above means something)", () => {
    const f = path.join(tmp, "new.py");
    fs.writeFileSync(f, [
      "import zoneinfo, sys",
      "def f(x: list[int]) -> int | None:",
      "    s = 'ab'.removeprefix('a')",
      "    zip([1], [2], strict=True)",
      "    if sys.version_info >= (3, 12):",
      "        s.removesuffix('b')",
      "    return None",
      "",
    ].join("\n"));
    expect(py38Problems(f).map(([line, text]) => `${line}: ${text}`).sort()).toEqual([
      "1: module zoneinfo needs Python 3.9",
      "2: X | None at run time needs Python 3.10 (PEP 604)",
      "2: list[...] at run time needs Python 3.9 (PEP 585)",
      "3: .removeprefix() needs Python 3.9",
      "4: zip(strict=...) needs Python 3.10",
    ]);
    fs.writeFileSync(f, "with (open('a'), open('b')):\n    pass\n");
    expect(py38Problems(f)[0]![1]).toMatch(/syntax not accepted by Python 3\.8/);
  });
});

describe("full and read-only file systems get their own codes (real mounts; the suite runs as root)", () => {
  function mount(args: string[]): void {
    const r = spawnSync("mount", args, { encoding: "utf8" });
    expect(r.status, `mount ${args.join(" ")}: ${r.stderr}`).toBe(0);
  }
  function umount(dir: string): void {
    spawnSync("umount", [dir]);
  }

  it("EROFS: ZWH-TARGET-READ-ONLY-FS naming the path, with a hint", () => {
    const src = mkdir("ro src");
    const ro = mkdir("ro mount");
    mount(["--bind", src, ro]);
    try {
      mount(["-o", "remount,bind,ro", ro]);
      const r = helper(["audit-append", "--root", ro, "--json", JSON.stringify({ event: "x" })]);
      expect(r.code).toBe(1);
      expect(r.out.error).toMatchObject({ code: "ZWH-TARGET-READ-ONLY-FS", errno: 30 });
      expect(r.out.error.message).toContain(ro);
      expect(r.out.error.hint).toMatch(/read-write/);
    } finally {
      umount(ro);
    }
  });

  it("ENOSPC: ZWH-TARGET-DISK-FULL naming the path, with a hint", () => {
    const small = mkdir("full fs");
    mount(["-t", "tmpfs", "-o", "size=64k", "tmpfs", small]);
    try {
      // Fill the file system to the last block, then append.
      fs.mkdirSync(path.join(small, ".wheelhouse"));
      try {
        fs.writeFileSync(path.join(small, "fill"), Buffer.alloc(128 * 1024));
      } catch (e) {
        expect((e as NodeJS.ErrnoException).code).toBe("ENOSPC");
      }
      const r = helper(["audit-append", "--root", small, "--json", JSON.stringify({ event: "x" })]);
      expect(r.code).toBe(1);
      expect(r.out.error).toMatchObject({ code: "ZWH-TARGET-DISK-FULL", errno: 28 });
      expect(r.out.error.message).toContain(small);
      expect(r.out.error.hint).toMatch(/Free space/);
    } finally {
      umount(small);
    }
  });
});
