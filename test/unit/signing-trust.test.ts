import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { errorCode, handlerCtx, tmpDir } from "../support/unit";
import { keyIdOf, publicKeyPem, toOpenSshPublicKey } from "../../src/bundle/signing/keys";
import { addTrustKey, createTrust, keysForChannel, loadTrust, parseTrust, serializeTrust } from "../../src/bundle/signing/trust";
import initCmd from "../../src/cli/handlers/trust/init";
import addKeyCmd from "../../src/cli/handlers/trust/add-key";
import showCmd from "../../src/cli/handlers/trust/show";
import { trustGroup } from "../../src/cli/defs/trust";
import { keysGroup } from "../../src/cli/defs/keys";
import type { CommandDef } from "../../src/cli/framework/types";

const tmp = () => tmpDir("zwh-trust-");

const ctx = (args: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => handlerCtx(args, { env, json: false });

const codeOf = errorCode;

function pemKey(): { pem: string; id: string } {
  const { publicKey } = crypto.generateKeyPairSync("ed25519");
  return { pem: publicKeyPem(publicKey), id: keyIdOf(publicKey) };
}

describe("command definitions", () => {
  it("every keys/trust command has summary, description, examples and the json option", () => {
    const cmds = [...trustGroup.children, ...keysGroup.children] as CommandDef[];
    expect(cmds.map((c) => c.name).sort()).toEqual(["add-key", "generate", "init", "show"]);
    for (const c of cmds) {
      expect(c.type).toBe("command");
      expect(c.summary.length).toBeGreaterThan(5);
      expect(c.description.length).toBeGreaterThan(40);
      expect(c.examples.length).toBeGreaterThan(0);
      expect(c.options.some((o) => o.name === "json")).toBe(true);
      expect(fs.existsSync(path.join(__dirname, "../../src/cli/handlers", c.handler + ".ts"))).toBe(true);
    }
  });
});

describe("zwh trust init / add-key / show", () => {
  it("builds a trust file step by step", async () => {
    const dir = tmp();
    const file = path.join(dir, "sub", "trust.json");
    const init = await initCmd.run(ctx({ out: file, threshold: 2, channel: ["stable", "test"] }));
    expect(init.exitCode).toBe(0);
    expect(init.data).toMatchObject({ threshold: 2, channels: ["stable", "test"], sshNamespace: "zos-wheelhouse-bundle", complete: false });
    await expect(initCmd.run(ctx({ out: file }))).rejects.toMatchObject({ code: "ZWH-TRUST-EXISTS" });

    const a = pemKey();
    fs.writeFileSync(path.join(dir, "a.pub"), a.pem);
    const r1 = await addKeyCmd.run(ctx({ trust: file, key: path.join(dir, "a.pub"), name: "alice" }));
    expect(r1.data.added).toMatchObject({ keyid: a.id, type: "ed25519", name: "alice" });

    // An OpenSSH key made by ssh-keygen, restricted to test.
    execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-b", "256", "-N", "", "-C", "bob@host", "-f", path.join(dir, "bob")]);
    const r2 = await addKeyCmd.run(ctx({ trust: file, key: path.join(dir, "bob.pub"), name: "bob", channel: ["test"] }));
    expect(r2.data.added).toMatchObject({ type: "ecdsa-p256", channels: ["test"] });

    // An OpenSSH line given directly.
    const c = crypto.generateKeyPairSync("ed25519").publicKey;
    await addKeyCmd.run(ctx({ trust: file, key: toOpenSshPublicKey(c, "carol@laptop"), name: "carol" }));

    const shown = await showCmd.run(ctx({ trust: file }));
    expect(shown.data).toMatchObject({ version: 4, complete: true, signersPerChannel: { stable: 2, test: 3 } });
    expect(shown.text).toContain("alice");
    expect(shown.text).toContain(a.id);

    const raw = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(raw.keys.map((k: { name: string }) => k.name)).toEqual(["alice", "bob", "carol"]);
    expect(raw.keys[2].publicKey).toBe(toOpenSshPublicKey(c)); // stored without the comment
    expect(raw.keys[1].type).toBe("ecdsa-p256");

    // Duplicates are refused and the file is unchanged.
    const before = fs.readFileSync(file, "utf8");
    await expect(addKeyCmd.run(ctx({ trust: file, key: path.join(dir, "a.pub"), name: "alice2" }))).rejects.toMatchObject({ code: "ZWH-TRUST-DUPLICATE-KEY" });
    fs.writeFileSync(path.join(dir, "d.pub"), pemKey().pem);
    await expect(addKeyCmd.run(ctx({ trust: file, key: path.join(dir, "d.pub"), name: "alice" }))).rejects.toMatchObject({ code: "ZWH-TRUST-DUPLICATE-NAME" });
    await expect(addKeyCmd.run(ctx({ trust: file, key: path.join(dir, "d.pub"), name: "dave", channel: ["prod"] }))).rejects.toMatchObject({ code: "ZWH-TRUST-CHANNEL" });
    await expect(addKeyCmd.run(ctx({ trust: file, key: path.join(dir, "bob"), name: "oops" }))).rejects.toMatchObject({ code: "ZWH-KEY-PRIVATE" });
    expect(fs.readFileSync(file, "utf8")).toBe(before);
  });

  it("uses $ZWH_TRUST when no path is given; show reports a missing file", async () => {
    const file = path.join(tmp(), "t.json");
    await initCmd.run(ctx({}, { ZWH_TRUST: file }));
    expect(fs.existsSync(file)).toBe(true);
    expect((await showCmd.run(ctx({}, { ZWH_TRUST: file }))).data).toMatchObject({ channels: ["stable"], threshold: 1, complete: false });
    await expect(showCmd.run(ctx({ trust: path.join(tmp(), "none.json") }))).rejects.toMatchObject({ code: "ZWH-TRUST-READ" });
  });

  it("init validates threshold and channel names", async () => {
    const file = path.join(tmp(), "t.json");
    await expect(initCmd.run(ctx({ out: file, threshold: 0 }))).rejects.toMatchObject({ code: "ZWH-TRUST-THRESHOLD" });
    await expect(initCmd.run(ctx({ out: file, threshold: "two" }))).rejects.toMatchObject({ code: "ZWH-TRUST-THRESHOLD" });
    await expect(initCmd.run(ctx({ out: file, channel: ["bad channel"] }))).rejects.toMatchObject({ code: "ZWH-TRUST-CHANNEL" });
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe("trust file validation", () => {
  const a = pemKey();
  const b = pemKey();
  const good = () => JSON.parse(serializeTrust(addTrustKey(addTrustKey(createTrust({ threshold: 2, channels: ["stable", "test"] }),
    { publicKey: a.pem, name: "a" }).doc, { publicKey: b.pem, name: "b", channels: ["test"] }).doc));

  it("a valid file loads; keys per channel honour restrictions", () => {
    const t = parseTrust(good());
    expect(keysForChannel(t, "stable").map((k) => k.name)).toEqual(["a"]);
    expect(keysForChannel(t, "test").map((k) => k.name)).toEqual(["a", "b"]);
    expect(keysForChannel(t, "prod")).toEqual([]);
  });

  it("requireComplete: threshold larger than the keys available for a channel", () => {
    expect(codeOf(() => parseTrust(good(), "t", { requireComplete: true }))).toBe("ZWH-TRUST-THRESHOLD");
    const g = good();
    g.threshold = 3;
    expect(() => parseTrust(g, "t", { requireComplete: true })).toThrow(/channel 'test' has 2 key\(s\).*threshold is 3/);
    g.threshold = 1;
    expect(parseTrust(g, "t", { requireComplete: true }).doc.threshold).toBe(1);
  });

  it.each([
    ["unknown formatVersion", (d: any) => { d.formatVersion = 2; }, "ZWH-TRUST-FORMAT"],
    ["threshold 0", (d: any) => { d.threshold = 0; }, "ZWH-TRUST-THRESHOLD"],
    ["threshold not integer", (d: any) => { d.threshold = 1.5; }, "ZWH-TRUST-THRESHOLD"],
    ["typo field", (d: any) => { d.treshold = 1; }, "ZWH-TRUST-INVALID"],
    ["duplicate key", (d: any) => { d.keys.push({ ...d.keys[0], name: "z" }); }, "ZWH-TRUST-DUPLICATE-KEY"],
    ["duplicate name", (d: any) => { d.keys[1].name = "a"; }, "ZWH-TRUST-DUPLICATE-NAME"],
    ["wrong keyid", (d: any) => { d.keys[0].keyid = b.id; }, "ZWH-TRUST-KEYID-MISMATCH"],
    ["unknown key type", (d: any) => { d.keys[0].type = "dsa"; }, "ZWH-TRUST-FORMAT"],
    ["type does not match key", (d: any) => { d.keys[0].type = "ecdsa-p256"; }, "ZWH-TRUST-FORMAT"],
    ["type ssh with PEM", (d: any) => { d.keys[0].type = "ssh"; }, "ZWH-TRUST-FORMAT"],
    ["garbage key", (d: any) => { d.keys[0].publicKey = "nope"; }, "ZWH-TRUST-FORMAT"],
    ["key channel not in file", (d: any) => { d.keys[1].channels = ["prod"]; }, "ZWH-TRUST-CHANNEL"],
    ["empty channels", (d: any) => { d.channels = []; }, "ZWH-TRUST-INVALID"],
    ["keys not array", (d: any) => { d.keys = {}; }, "ZWH-TRUST-INVALID"],
  ])("%s", (_name, mutate, code) => {
    const d = good();
    mutate(d);
    expect(codeOf(() => parseTrust(d))).toBe(code);
  });

  it("type 'ssh' is accepted for OpenSSH lines; not JSON is ZWH-TRUST-READ", () => {
    const k = crypto.generateKeyPairSync("ed25519").publicKey;
    const d = createTrust();
    d.keys.push({ keyid: keyIdOf(k), type: "ssh", publicKey: toOpenSshPublicKey(k, "x@y"), name: "x" });
    expect(parseTrust(d).keys[0].algorithm).toBe("ed25519");
    const f = path.join(tmp(), "bad.json");
    fs.writeFileSync(f, "{");
    expect(codeOf(() => loadTrust(f))).toBe("ZWH-TRUST-READ");
  });
});
