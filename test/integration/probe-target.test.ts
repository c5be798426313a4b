/** `zwh target probe` handler against the USS simulator. */
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { targetProbeCommand } from "../../src/cli/defs/target";
import type { CommandContext, Output } from "../../src/cli/framework/types";
import probe from "../../src/cli/handlers/target/probe";
import { connectTarget } from "../../src/remote/connection";
import { setSimSwitches, startUssHosts, type SimCluster, type SimHost } from "../sim";

let sim: SimCluster;
let h: SimHost;
let h2: SimHost;
let work: string;

function output(): Output & { infos: string[]; warns: string[]; steps: string[] } {
  const o = {
    infos: [] as string[],
    warns: [] as string[],
    steps: [] as string[],
    info: (m: string) => o.infos.push(m),
    warn: (m: string) => o.warns.push(m),
    progress: {
      async step<T>(title: string, fn: (s: { update(m: string): void }) => Promise<T>): Promise<T> {
        o.steps.push(title);
        return fn({ update: (m) => o.steps.push(`  ${m}`) });
      },
    },
  };
  return o;
}

function ctx(host: SimHost, extra: Record<string, unknown> = {}, json = true): CommandContext {
  return {
    args: {
      host: host.host, port: host.port, user: host.user, identity: host.identityFile, knownHosts: host.knownHostsFile,
      python: host.pythonPath, ...extra,
    },
    out: output(),
    json,
    host: "zwh",
    env: {},
  };
}

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 2 });
  [h, h2] = sim.hosts;
  work = mkdtempSync(join(tmpdir(), "zwh-probe-"));
});

afterAll(async () => {
  await sim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("target probe", () => {
  it("is defined under target with the shared options", () => {
    expect(targetProbeCommand.handler).toBe("target/probe");
    expect(targetProbeCommand.connects).toBe(true);
    expect(targetProbeCommand.examples.length).toBeGreaterThanOrEqual(2);
    const names = targetProbeCommand.options.map((o) => o.name);
    for (const n of ["host", "port", "user", "identity", "password-env", "passphrase-env", "host-key", "known-hosts", "python", "root", "json"]) {
      expect(names).toContain(n);
    }
  });

  it("reports uname, Python, pip, tags, markers, free space and tagging", async () => {
    const root = `${h.root}/wheelhouse`;
    const res = await probe.run(ctx(h, { root }));
    expect(res.exitCode).toBe(0);
    const d = res.data as Record<string, any>;
    expect(d.formatVersion).toBe(1);
    expect(d.ok).toBe(true);
    expect(d.target).toEqual({ host: h.host, port: h.port, user: h.user, hostKeyFingerprint: h.hostKeyFingerprint, authMethod: "publickey" });
    expect(d.uname).toEqual({ sysname: "OS/390", nodename: "LPAR1", release: "29.00", version: "04", machine: "8561" });
    expect(d.python.sysPlatform).toBe("zos");
    expect(d.python.platformSystem).toBe("OS/390");
    expect(d.python.sysconfigPlatform).toBe("os390-29.00-8561");
    expect(d.python.implementation).toBe("cpython");
    expect(d.python.version).toMatch(/^3\.\d+\.\d+/);
    const [maj, min] = d.python.versionInfo;
    const cp = `cp${maj}${min}`;
    expect(d.compatibleTags[0]).toBe(`${cp}-${cp}-os390_29_00_8561`);
    expect(d.compatibleTags).toContain("py3-none-any");
    expect(d.compatibleTags.some((t: string) => /manylinux|linux_x86_64/.test(t))).toBe(false);
    expect(d.pip.version).toMatch(/^\d+\.\d+/);
    expect(Object.keys(d.markerEnv).sort()).toEqual([
      "implementation_name", "implementation_version", "os_name", "platform_machine", "platform_python_implementation",
      "platform_release", "platform_system", "platform_version", "python_full_version", "python_version", "sys_platform",
    ]);
    expect(d.markerEnv.sys_platform).toBe("zos");
    expect(d.markerEnv.platform_system).toBe("OS/390");
    expect(d.root.path).toBe(root);
    expect(d.root.given).toBe(true);
    expect(d.root.exists).toBe(false);
    expect(d.root.freeBytes).toBeGreaterThan(0);
    expect(d.tagging).toMatchObject({ works: true, observed: "t ISO8859-1   T=on" });
    expect(d.warnings.join("\n")).toContain("does not exist yet");
    // Read-only: the helper and the tagging check ran in a per-run /tmp directory that is gone,
    // and nothing was installed under $HOME.
    expect(res.text).toContain("Tagging     works");
    expect(d.tagging.dir).toBe(dirname(d.helper.path));
    expect(d.helper.path).toMatch(/^\/tmp\/zwh-probe-/);
    const s = await connectTarget({ host: h.host, port: h.port, user: h.user, identityFile: h.identityFile, knownHostsFile: h.knownHostsFile });
    const ls = await s.exec({ script: `ls -a ${"'" + d.tagging.dir + "'"}` });
    expect(ls.code).not.toBe(0);
    expect((await s.exec({ script: "ls -a ~/.wheelhouse" })).code).not.toBe(0);
    await s.close();
  });

  it("probes an existing root with free space (tagging is checked in the probe's own /tmp directory); human summary", async () => {
    const s = await connectTarget({ host: h.host, port: h.port, user: h.user, identityFile: h.identityFile, knownHostsFile: h.knownHostsFile });
    const root = `${h.home}/wh root`;
    await s.mkdirp(root);
    await s.close();
    const c = ctx(h, { root }, false);
    const res = await probe.run(c);
    const d = res.data as Record<string, any>;
    expect(d.root).toMatchObject({ path: root, exists: true, measuredAt: root, writable: true });
    expect(d.tagging.dir).toMatch(/^\/tmp\/zwh-probe-/);
    expect(d.tagging.works).toBe(true);
    expect(res.text).toMatch(new RegExp(`^Target {6}${h.user}@127\\.0\\.0\\.1:`));
    expect(res.text).toContain("sys.platform=zos");
    expect(res.text).toContain("cp");
  });

  it("installs the helper correctly even when SFTP writes are transcoded (hostile AUTOCVT)", async () => {
    setSimSwitches(h2, { hostileAutocvt: "a2e" });
    const res = await probe.run(ctx(h2));
    const d = res.data as Record<string, any>;
    expect(d.python.sysPlatform).toBe("zos");
    expect(d.root.given).toBe(false);
    expect(d.root.path).toBe(h2.home);
  });

  it("fails with coded errors: bad python path, unknown host key (exit 3)", async () => {
    const fail = async (c: CommandContext): Promise<ZwhError> => {
      try {
        await probe.run(c);
      } catch (e) {
        expect(e).toBeInstanceOf(ZwhError);
        return e as ZwhError;
      }
      throw new Error("expected failure");
    };
    const missing = await fail(ctx(h, { python: "/usr/lpp/none/bin/python3" }));
    expect(missing.code).toBe("ZWH-PROBE-PYTHON-MISSING");
    expect(missing.exitCode).toBe(1);

    const kh = join(work, "empty");
    writeFileSync(kh, "");
    const unknown = await fail(ctx(h, { knownHosts: kh }));
    expect(unknown.code).toBe("ZWH-SSH-HOSTKEY-UNKNOWN");
    expect(unknown.exitCode).toBe(3);
    expect(unknown.toJSON().details).toMatchObject({ presentedFingerprint: h.hostKeyFingerprint });

    const pinned = await probe.run(ctx(h, { knownHosts: kh, hostKey: h.hostKeyFingerprint }));
    expect(pinned.exitCode).toBe(0);
  });

  it("uses a password supplied by a profile (in memory) and never echoes it", async () => {
    // zwh has no --password flag (the CLI test proves it is refused), so a password reaching the
    // handler came from a Zowe profile: it must be tried, and a wrong one reported without itself.
    const err = await probe.run(ctx(h, { identity: undefined, password: "profile-pw-51c" })).then(
      () => undefined,
      (e: unknown) => e as ZwhError,
    );
    expect(err?.code).toBe("ZWH-SSH-AUTH");
    expect(err?.message).toContain("password");
    expect(JSON.stringify(err?.toJSON())).not.toContain("profile-pw-51c");
  });
});
