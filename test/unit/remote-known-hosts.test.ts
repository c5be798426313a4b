import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { keyTypeOfBlob, parsePinnedHostKey, sha256Fingerprint } from "../../src/remote/fingerprint";
import { makeHostKeyCheck } from "../../src/remote/host-verify";
import { knownHostsLookupName, lookupKnownHosts, parseKnownHosts, patternsMatch } from "../../src/remote/known-hosts";

let dir: string;
const keys: Record<string, { line: string; blob: Buffer; fp: string; type: string }> = {};

function genKey(name: string, type: string, bits?: string): void {
  const f = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(bits ? ["-b", bits] : []), "-N", "", "-C", "", "-f", f]);
  const line = readFileSync(f + ".pub", "utf8").trim();
  // ssh-keygen -lf prints "<bits> SHA256:... <comment> (TYPE)"
  const fp = execFileSync("ssh-keygen", ["-lf", f + ".pub"], { encoding: "utf8" }).split(/\s+/)[1];
  const [t, b64] = line.split(/\s+/);
  keys[name] = { line: `${t} ${b64}`, blob: Buffer.from(b64, "base64"), fp, type: t };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "zwh-kh-"));
  genKey("ed", "ed25519");
  genKey("ed2", "ed25519");
  genKey("ec", "ecdsa", "256");
  genKey("rsa", "rsa", "2048");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fingerprints", () => {
  it("match ssh-keygen -lf for ed25519, ecdsa and rsa keys", () => {
    for (const k of Object.values(keys)) {
      expect(sha256Fingerprint(k.blob)).toBe(k.fp);
      expect(keyTypeOfBlob(k.blob)).toBe(k.type);
    }
  });

  it("parse pins: fingerprint, bare base64 blob, and 'type base64 comment' form", () => {
    const k = keys.ed;
    expect(parsePinnedHostKey(k.fp)).toEqual({ kind: "fingerprint", fingerprint: k.fp });
    const bare = parsePinnedHostKey(k.line.split(" ")[1]);
    expect(bare.kind).toBe("blob");
    expect(bare.fingerprint).toBe(k.fp);
    const typed = parsePinnedHostKey(`${k.line} root@lpar1`);
    expect(typed).toMatchObject({ kind: "blob", keyType: "ssh-ed25519", fingerprint: k.fp });
  });

  it("refuse malformed pins with ZWH-SSH-HOSTKEY-PIN", () => {
    for (const bad of ["SHA256:short", "MD5:aa:bb", "not a key!", `ssh-rsa ${keys.ed.line.split(" ")[1]}`]) {
      expect(() => parsePinnedHostKey(bad), bad).toThrow(ZwhError);
      try {
        parsePinnedHostKey(bad);
      } catch (e) {
        expect((e as ZwhError).code).toBe("ZWH-SSH-HOSTKEY-PIN");
      }
    }
  });
});

describe("known_hosts parsing", () => {
  it("parses plain, [host]:port, comma lists, wildcards, negation, markers and comments", () => {
    const text = [
      "# comment",
      "",
      `lpar1,10.1.1.1 ${keys.ed.line} comment here`,
      `[lpar2]:2222 ${keys.ec.line}`,
      `*.plex.example.com,!bad.plex.example.com ${keys.rsa.line}`,
      `@revoked * ${keys.ed2.line}`,
      `@cert-authority *.example.com ${keys.ec.line}`,
      `@unknown-marker lpar1 ${keys.ec.line}`,
      "garbage line",
      `lpar9 ssh-ed25519 !!notbase64!!`,
    ].join("\n");
    const e = parseKnownHosts(text);
    expect(e.map((x) => x.line)).toEqual([3, 4, 5, 6, 7]);
    expect(e[3].marker).toBe("revoked");
    expect(e[4].marker).toBe("cert-authority");

    expect(lookupKnownHosts(e, "lpar1", 22).trusted.map((x) => x.fingerprint)).toEqual([keys.ed.fp]);
    expect(lookupKnownHosts(e, "10.1.1.1", 22).trusted).toHaveLength(1);
    expect(lookupKnownHosts(e, "LPAR1", 22).trusted).toHaveLength(1);
    // A non-22 port must be written [host]:port.
    expect(lookupKnownHosts(e, "lpar1", 2222).trusted).toHaveLength(0);
    expect(lookupKnownHosts(e, "lpar2", 2222).trusted.map((x) => x.fingerprint)).toEqual([keys.ec.fp]);
    expect(lookupKnownHosts(e, "lpar2", 22).trusted).toHaveLength(0);
    expect(lookupKnownHosts(e, "sys1.plex.example.com", 22).trusted.map((x) => x.keyType)).toEqual(["ssh-rsa"]);
    expect(lookupKnownHosts(e, "bad.plex.example.com", 22).trusted).toHaveLength(0);
    // CA lines are never trusted as host keys; revoked keys are listed separately.
    expect(lookupKnownHosts(e, "x.example.com", 22).trusted).toHaveLength(0);
    expect(lookupKnownHosts(e, "anything", 22).revoked.map((x) => x.fingerprint)).toEqual([keys.ed2.fp]);
  });

  it("matches hashed entries written by ssh-keygen -H (port 22 and [host]:port)", () => {
    const f = join(dir, "kh-hashed");
    writeFileSync(f, `lpar1 ${keys.ed.line}\n[127.0.0.1]:2022 ${keys.ec.line}\n`);
    execFileSync("ssh-keygen", ["-H", "-f", f], { stdio: "ignore" });
    const text = readFileSync(f, "utf8");
    expect(text).not.toContain("lpar1");
    expect(text).toMatch(/^\|1\|/m);
    const e = parseKnownHosts(text);
    expect(e).toHaveLength(2);
    expect(lookupKnownHosts(e, "lpar1", 22).trusted.map((x) => x.fingerprint)).toEqual([keys.ed.fp]);
    expect(lookupKnownHosts(e, "127.0.0.1", 2022).trusted.map((x) => x.fingerprint)).toEqual([keys.ec.fp]);
    expect(lookupKnownHosts(e, "127.0.0.1", 22).trusted).toHaveLength(0);
    expect(lookupKnownHosts(e, "lpar2", 22).trusted).toHaveLength(0);
  });

  it("agrees with ssh-keygen -F on which hosts match", () => {
    const f = join(dir, "kh-F");
    writeFileSync(f, `lpar1,lpar1.example.com ${keys.ed.line}\n[lpar3]:2200 ${keys.rsa.line}\nlp?r4 ${keys.ec.line}\n`);
    for (const [host, port] of [["lpar1", 22], ["lpar1.example.com", 22], ["lpar3", 2200], ["lpar3", 22], ["lpar4", 22], ["lpar44", 22]] as const) {
      const name = knownHostsLookupName(host, port);
      let sshSays = true;
      try {
        execFileSync("ssh-keygen", ["-F", name, "-f", f], { stdio: "ignore" });
      } catch {
        sshSays = false;
      }
      expect(lookupKnownHosts(parseKnownHosts(readFileSync(f, "utf8")), host, port).trusted.length > 0, name).toBe(sshSays);
    }
  });

  it("pattern edge cases", () => {
    expect(patternsMatch("*", "h", 22)).toBe(true);
    expect(patternsMatch("[h]:*", "h", 2222)).toBe(true);
    expect(patternsMatch("!h,*", "h", 22)).toBe(false);
    expect(patternsMatch("h.example.com", "hXexample.com", 22)).toBe(false);
  });
});

describe("host key check", () => {
  const spec = (extra: object) => ({ host: "lpar1", port: 2222, user: "u", ...extra });

  it("accepts a pinned fingerprint or blob and refuses others with MISMATCH showing both", () => {
    const byFp = makeHostKeyCheck(spec({ hostKey: keys.ed.fp }));
    expect(byFp.serverHostKeyAlgorithms).toBeUndefined();
    expect(byFp.verify(keys.ed.blob)).toBe(true);
    expect(byFp.verify(keys.ed2.blob)).toBe(false);
    const err = byFp.refusal()!;
    expect(err.code).toBe("ZWH-SSH-HOSTKEY-MISMATCH");
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(keys.ed.fp);
    expect(err.message).toContain(keys.ed2.fp);
    expect(err.message).toContain("lpar1:2222");

    const byBlob = makeHostKeyCheck(spec({ hostKey: keys.rsa.line }));
    expect(byBlob.serverHostKeyAlgorithms).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    expect(byBlob.verify(keys.rsa.blob)).toBe(true);
    expect(byBlob.verify(keys.ed.blob)).toBe(false);
    expect(makeHostKeyCheck(spec({ hostKey: keys.ed.line })).serverHostKeyAlgorithms).toEqual(["ssh-ed25519"]);
  });

  it("uses known_hosts: trusted, unknown (with how to pin), mismatch, revoked", () => {
    const f = join(dir, "kh-check");
    writeFileSync(f, `[lpar1]:2222 ${keys.ed.line}\n@revoked * ${keys.rsa.line}\n`);
    const c = makeHostKeyCheck(spec({ knownHostsFile: f }));
    expect(c.serverHostKeyAlgorithms?.[0]).toBe("ssh-ed25519");
    expect(c.verify(keys.ed.blob)).toBe(true);

    const c2 = makeHostKeyCheck(spec({ knownHostsFile: f }));
    expect(c2.verify(keys.ed2.blob)).toBe(false);
    expect(c2.refusal()!.code).toBe("ZWH-SSH-HOSTKEY-MISMATCH");

    const c3 = makeHostKeyCheck(spec({ knownHostsFile: f }));
    expect(c3.verify(keys.ec.blob)).toBe(false);
    const unk = c3.refusal()!;
    expect(unk.code).toBe("ZWH-SSH-HOSTKEY-UNKNOWN");
    expect(unk.message).toContain(keys.ec.fp);
    expect(unk.hint).toContain(`--host-key ${keys.ec.fp}`);
    expect(unk.hint).toContain(`ssh-keyscan -p 2222 lpar1 >> ${f}`);

    const c4 = makeHostKeyCheck(spec({ knownHostsFile: f }));
    expect(c4.verify(keys.rsa.blob)).toBe(false);
    expect(c4.refusal()!.code).toBe("ZWH-SSH-HOSTKEY-REVOKED");

    const missing = makeHostKeyCheck(spec({ knownHostsFile: join(dir, "does-not-exist") }));
    expect(missing.verify(keys.ed.blob)).toBe(false);
    expect(missing.refusal()!.code).toBe("ZWH-SSH-HOSTKEY-UNKNOWN");
    expect(missing.refusal()!.hint).toContain("--host-key SHA256:");
  });
});
