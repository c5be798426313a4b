/**
 * Untrusted local input through the built zwh CLI (issue 8 §4): every file the CLI reads is
 * checked to be a regular file without blocking and read with a size cap before any parse. A
 * FIFO (which would block a plain read forever) and a link to /dev/zero (which would grow the
 * process without end) given as any input file must give a coded error naming the file. Each run
 * has a hang guard (spawnSync timeout): a command that blocks is killed and the test fails on its
 * missing exit code. The Zowe plugin's side is in zowe-plugin.test.ts.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTrustKey, createTrust, saveTrust, writeKeyPair } from "../../src/bundle/signing";
import { zwh, type CliResult } from "../support/cli";

let dir: string;
let trust: string;
let bundle: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-untrusted-"));
  const pair = writeKeyPair(path.join(dir, "release"), { type: "ed25519" });
  trust = path.join(dir, "trust.json");
  saveTrust(trust, addTrustKey(createTrust({ channels: ["stable"] }), { publicKey: fs.readFileSync(pair.publicKeyPath, "utf8"), name: "release" }).doc);
  // Enough of a bundle for verify to reach the envelope and signature files.
  bundle = path.join(dir, "bundle");
  fs.mkdirSync(bundle);
  fs.writeFileSync(path.join(bundle, "manifest.intoto.json"), JSON.stringify({ predicate: { channel: "stable" } }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Kind = "fifo" | "zero" | "dir" | "large";

/** A hostile stand-in for an input file at p. */
function hostile(p: string, kind: Kind, largeBytes = 0): string {
  fs.rmSync(p, { recursive: true, force: true });
  if (kind === "fifo") execFileSync("mkfifo", [p]);
  else if (kind === "zero") fs.symlinkSync("/dev/zero", p);
  else if (kind === "dir") fs.mkdirSync(p);
  else {
    // Sparse: the size is real to fstat and read(), the disk cost is nothing.
    fs.writeFileSync(p, "");
    fs.truncateSync(p, largeBytes);
  }
  return p;
}

/** Run zwh with a hang guard; a killed run has code -1 and fails the expectation. */
function run(args: string[]): CliResult {
  return zwh([...args, "--json"], { timeoutMs: 60_000 });
}

function expectRefused(r: CliResult, code: string, file: string): void {
  expect({ exit: r.code, code: (r.json as any)?.error?.code }, r.stdout + r.stderr).toEqual({ exit: 1, code });
  expect((r.json as any).error.message).toContain(file);
}

const NOT_REGULAR = "ZWH-INPUT-NOT-REGULAR";

describe.each(["fifo", "zero", "dir"] as const)("a %s as an input file is refused at once with ZWH-INPUT-NOT-REGULAR", (kind) => {
  it("bundle verify: manifest.intoto.json, manifest.dsse.json, the .sig", () => {
    for (const name of ["manifest.dsse.json", "manifest.intoto.json.sig"]) {
      const b = path.join(dir, `b-${kind}-${name}`);
      fs.cpSync(bundle, b, { recursive: true });
      const f = hostile(path.join(b, name), kind);
      expectRefused(run(["bundle", "verify", b, "--trust", trust]), NOT_REGULAR, f);
    }
    const b = path.join(dir, `b-${kind}-statement`);
    fs.mkdirSync(b);
    const f = hostile(path.join(b, "manifest.intoto.json"), kind);
    expectRefused(run(["bundle", "verify", b, "--trust", trust]), NOT_REGULAR, f);
    expectRefused(run(["bundle", "inspect", b]), NOT_REGULAR, f);
  });

  it("bundle verify --trust, --target-env, --deny", () => {
    const f = hostile(path.join(dir, `trust-${kind}.json`), kind);
    expectRefused(run(["bundle", "verify", bundle, "--trust", f]), NOT_REGULAR, f);
    const env = hostile(path.join(dir, `env-${kind}.json`), kind);
    expectRefused(run(["bundle", "verify", bundle, "--trust", trust, "--target-env", env]), NOT_REGULAR, env);
    const deny = hostile(path.join(dir, `deny-${kind}.txt`), kind);
    expectRefused(run(["bundle", "verify", bundle, "--trust", trust, "--deny", deny]), NOT_REGULAR, deny);
  });

  it("bundle create --target-env, --requirements, --deny, --sign-key", () => {
    const wheels = path.join(dir, "wheels-none");
    fs.mkdirSync(wheels, { recursive: true });
    const base = ["bundle", "create", wheels, "--out", path.join(dir, `out-${kind}`), "--id", "x", "--channel", "stable", "--sequence", "1"];
    const plat = ["--python", "3.12", "--platform", "os390-29.00-8561"];
    const env = hostile(path.join(dir, `cenv-${kind}.json`), kind);
    expectRefused(run([...base, "--target-env", env]), NOT_REGULAR, env);
    const req = hostile(path.join(dir, `req-${kind}.txt`), kind);
    expectRefused(run([...base, ...plat, "--requirements", req]), NOT_REGULAR, req);
    const deny = hostile(path.join(dir, `cdeny-${kind}.txt`), kind);
    expectRefused(run([...base, ...plat, "--deny", deny]), NOT_REGULAR, deny);
    const key = hostile(path.join(dir, `key-${kind}.key`), kind);
    expectRefused(run([...base, ...plat, "--sign-key", key]), NOT_REGULAR, key);
    expectRefused(run(["bundle", "sign", bundle, "--key", key]), NOT_REGULAR, key);
  });

  it("trust add-key --key, trust show --trust, bundle unpack ARCHIVE", () => {
    const pub = hostile(path.join(dir, `pub-${kind}.pub`), kind);
    expectRefused(run(["trust", "add-key", "--trust", trust, "--key", pub, "--name", "x"]), NOT_REGULAR, pub);
    const t = hostile(path.join(dir, `show-${kind}.json`), kind);
    expectRefused(run(["trust", "show", "--trust", t]), NOT_REGULAR, t);
    const tar = hostile(path.join(dir, `b-${kind}.tar`), kind);
    expectRefused(run(["bundle", "unpack", tar, "--out", path.join(dir, `unpacked-${kind}`)]), NOT_REGULAR, tar);
  });

  it("connecting commands: --known-hosts, --identity, target trust --trust (before any connection is tried)", () => {
    // Port 9 on loopback: nothing listens, so only reading the local files can give these codes.
    const conn = ["--host", "127.0.0.1", "--port", "9", "--user", "IBMUSER"];
    const kh = hostile(path.join(dir, `kh-${kind}`), kind);
    expectRefused(run(["target", "probe", ...conn, "--known-hosts", kh]), NOT_REGULAR, kh);
    const id = hostile(path.join(dir, `id-${kind}`), kind);
    expectRefused(run(["target", "probe", ...conn, "--host-key", "SHA256:" + "A".repeat(43), "--identity", id]), NOT_REGULAR, id);
    const t = hostile(path.join(dir, `tt-${kind}.json`), kind);
    expectRefused(run(["target", "trust", ...conn, "--root", "/u/wh", "--trust", t]), NOT_REGULAR, t);
  });
});

describe("oversized input files are refused before any parse with ZWH-INPUT-TOO-LARGE", () => {
  it("a 2 MiB trust file, key and public key; a 17 MiB target env; a 65 MiB manifest", () => {
    const t = hostile(path.join(dir, "big-trust.json"), "large", 2 * 1024 * 1024);
    const r = run(["bundle", "verify", bundle, "--trust", t]);
    expectRefused(r, "ZWH-INPUT-TOO-LARGE", t);
    expect((r.json as any).error.details).toEqual({ maxBytes: 1024 * 1024, size: 2 * 1024 * 1024 });
    const key = hostile(path.join(dir, "big.key"), "large", 2 * 1024 * 1024);
    expectRefused(run(["bundle", "sign", bundle, "--key", key]), "ZWH-INPUT-TOO-LARGE", key);
    const env = hostile(path.join(dir, "big-env.json"), "large", 17 * 1024 * 1024);
    expectRefused(run(["bundle", "verify", bundle, "--trust", trust, "--target-env", env]), "ZWH-INPUT-TOO-LARGE", env);
    const b = path.join(dir, "big-bundle");
    fs.mkdirSync(b);
    const m = hostile(path.join(b, "manifest.intoto.json"), "large", 65 * 1024 * 1024);
    expectRefused(run(["bundle", "verify", b, "--trust", trust]), "ZWH-INPUT-TOO-LARGE", m);
  });
});

describe("numeric options and empty values through the built CLI", () => {
  it.each(["0x10", "1e3", "+5", " 7", "1.0", ""])("--sequence %j is a usage error naming the option", (v) => {
    const r = run(["bundle", "create", dir, "--out", path.join(dir, "never"), "--id", "x", "--channel", "stable", "--sequence", v, "--python", "3.12", "--platform", "os390-29.00-8561"]);
    expect({ exit: r.code, code: (r.json as any)?.error?.code }).toEqual({ exit: 1, code: "ZWH-USAGE" });
    expect((r.json as any).error.message).toContain("--sequence");
    expect(fs.existsSync(path.join(dir, "never"))).toBe(false);
  });

  it("rollback --to \"\" is an error, not 'the previous release'", () => {
    const r = run(["rollback", "--host", "127.0.0.1", "--port", "9", "--user", "u", "--root", "/u/wh", "--to", ""]);
    expect({ exit: r.code, code: (r.json as any)?.error?.code }).toEqual({ exit: 1, code: "ZWH-USAGE" });
    expect((r.json as any).error.message).toBe("--release was given an empty value");
  });
});
