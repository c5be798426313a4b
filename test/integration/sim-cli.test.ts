// scripts/uss-sim: start --json / status / stop, with the acceptance commands run through the
// system ssh client exactly as documented.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimHost } from "../sim";

const REPO = path.resolve(__dirname, "..", "..");
const CLI = path.join(REPO, "scripts", "uss-sim");
let dir: string;

function cli(...args: string[]) {
  const r = spawnSync(CLI, args, { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let hosts: SimHost[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-sim-cli-"));
  const r = cli("start", "--hosts", "2", "--dir", dir, "--json", "--switch", "unameMachine=3931");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  hosts = JSON.parse(r.stdout).hosts;
});

afterAll(() => {
  if (dir) {
    cli("stop", "--dir", dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function ssh(h: SimHost, cmd: string) {
  const r = spawnSync(
    "ssh",
    ["-i", h.identityFile, "-p", String(h.port), "-o", `UserKnownHostsFile=${h.knownHostsFile}`, "-o", "BatchMode=yes", `${h.user}@127.0.0.1`, cmd],
    { encoding: "utf8" },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("scripts/uss-sim", () => {
  it("start --json prints the documented fields for each host", () => {
    expect(hosts.map((h) => h.name)).toEqual(["lpar1", "lpar2"]);
    for (const h of hosts) {
      expect(Object.keys(h)).toEqual(
        expect.arrayContaining(["name", "host", "port", "user", "identityFile", "hostKeyFingerprint", "knownHostsFile", "root", "pythonPath"]),
      );
      expect(h.host).toBe("127.0.0.1");
      const fp = spawnSync("ssh-keygen", ["-lf", h.knownHostsFile], { encoding: "utf8" }).stdout;
      expect(fp).toContain(h.hostKeyFingerprint);
    }
    expect(hosts[0].port).not.toBe(hosts[1].port);
    expect(hosts[0].hostKeyFingerprint).not.toBe(hosts[1].hostKeyFingerprint);
  });

  it("acceptance commands work over plain ssh with the printed identity and known_hosts", () => {
    const [h1, h2] = hosts;
    expect(ssh(h1, "touch f; chtag -tc ISO8859-1 f; ls -T f").stdout).toBe("t ISO8859-1   T=on  f\n");
    expect(ssh(h1, "uname -s").stdout).toBe("OS/390\n");
    expect(ssh(h2, "uname -a").stdout).toBe("OS/390 LPAR2 29.00 04 3931\n");
    const py = ssh(h1, `${h1.pythonPath} -c 'import sys,platform,sysconfig;print(sys.platform,platform.system(),sysconfig.get_platform())'`);
    expect(py.stdout).toBe("zos OS/390 os390-29.00-3931\n");
    // hosts have separate file systems
    expect(ssh(h2, "ls -T f; echo rc=$?").stdout).toBe("rc=2\n");
  });

  it("a wrong host key is rejected (known_hosts is per host)", () => {
    const mixed = { ...hosts[0], knownHostsFile: hosts[1].knownHostsFile };
    const r = ssh(mixed, "true");
    expect(r.code).toBe(255);
  });

  it("status, stop, status", () => {
    const s = cli("status", "--dir", dir, "--json");
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).hosts.map((h: { running: boolean }) => h.running)).toEqual([true, true]);
    const human = cli("status", "--dir", dir);
    expect(human.stdout).toContain("lpar1  ");
    expect(human.stdout).toContain("hostKeyFingerprint: SHA256:");
    const st = cli("stop", "--dir", dir);
    expect(st.code).toBe(0);
    expect(st.stdout).toContain("lpar1, lpar2");
    const s2 = cli("status", "--dir", dir, "--json");
    expect(s2.code).toBe(3);
    expect(JSON.parse(s2.stdout).hosts.map((h: { running: boolean }) => h.running)).toEqual([false, false]);
    expect(ssh(hosts[0], "true").code).toBe(255);
  });

  it("rejects unknown switches and arguments", () => {
    const a = cli("start", "--dir", dir, "--switch", "bogus=1");
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('unknown switch "bogus"');
    const b = cli("start", "--dir", dir, "--frobnicate");
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('unknown argument "--frobnicate"');
  });
});
