/**
 * zwh reading Zowe team config through the real imperative ProfileInfo, against configs written
 * by profiles/generate-zowe-config.js into a temporary ZOWE_CLI_HOME.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyZwhProfiles, resolveZwhProfiles, teamConfigExists } from "../../src/cli/zowe/zwh-profiles";
import type { CommandDef } from "../../src/cli/framework/types";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildZoweConfig } = require("../../profiles/generate-zowe-config.js");

const hosts = [
  { name: "lpar1", host: "10.1.1.1", port: 2201, user: "ibmuser", identityFile: "/keys/id1", hostKeyPublic: "ssh-ed25519 AAAAone", pythonPath: "/p1/python3", home: "/u/ibmuser" },
  { name: "lpar2", host: "10.1.1.2", port: 2202, user: "ibmuser", identityFile: "/keys/id1", hostKeyFingerprint: "SHA256:two", pythonPath: "/p2/python3", home: "/u/ibmuser" },
];

const cmd: CommandDef = {
  type: "command", name: "probe", summary: "s", description: "d", handler: "target/probe", connects: true, examples: [],
  options: [
    { name: "host", type: "string", description: "", only: "zwh" },
    { name: "port", type: "number", description: "", only: "zwh", defaultValue: 22 },
    { name: "python", type: "string", description: "" },
    { name: "root", type: "string", description: "" },
    { name: "keep", type: "number", description: "" },
  ],
};

let tmp: string;
let home: string;
let project: string;
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ZOWE_CLI_HOME: home, ...extra };
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-zprof-"));
  home = path.join(tmp, "home");
  project = path.join(tmp, "project");
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(project, { recursive: true });
  const config = buildZoweConfig(hosts, { wheelhouse: { keepReleases: 3 } });
  delete config.$schema;
  fs.writeFileSync(path.join(home, "zowe.config.json"), JSON.stringify(config, null, 2));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("zwh --profile / --wheelhouse-profile through ProfileInfo", () => {
  it("finds the team config in ZOWE_CLI_HOME", () => {
    expect(teamConfigExists(env(), project)).toBe(true);
    expect(teamConfigExists({ ZOWE_CLI_HOME: path.join(tmp, "none") }, project)).toBe(false);
  });

  it("maps the named ssh profile and a nested wheelhouse profile (inheriting from prod)", async () => {
    const r = await resolveZwhProfiles({ profile: "lpar2", wheelhouseProfile: "prod.lpar2", connects: true, env: env(), cwd: project });
    expect(r.used).toEqual({ ssh: "lpar2", wheelhouse: "prod.lpar2" });
    expect(r.args).toMatchObject({ host: "10.1.1.2", port: 2202, identity: "/keys/id1", hostKey: "SHA256:two", python: "/p2/python3", root: "/u/ibmuser/wheelhouse", keep: 3 });
  });

  it("uses the default profiles when none is named, and flags win over them", async () => {
    const merged = await applyZwhProfiles(cmd, { port: 22, root: "/flag/root" }, env(), { cwd: project });
    expect(merged).toMatchObject({ host: "10.1.1.1", port: 2201, hostKey: "AAAAone", root: "/flag/root", keep: 3 });
    const explicitPort = await applyZwhProfiles(cmd, { port: 22 }, env(), { cwd: project, explicit: new Set(["port"]) });
    expect(explicitPort.port).toBe(22);
  });

  it("does not apply the default ssh profile to a host given with --host", async () => {
    const merged = await applyZwhProfiles(cmd, { host: "other.example", port: 22 }, env(), { cwd: project });
    expect(merged.host).toBe("other.example");
    expect(merged.hostKey).toBeUndefined();
    expect(merged.user).toBeUndefined();
    expect(merged.keep).toBe(3);
  });

  it("ZOWE_OPT_* beat ssh profile values, as in Zowe CLI", async () => {
    const r = await resolveZwhProfiles({ profile: "lpar1", connects: true, env: env({ ZOWE_OPT_PORT: "2299", ZOWE_OPT_PASSWORD: "s3cret" }), cwd: project });
    expect(r.args).toMatchObject({ port: 2299, password: "s3cret" });
  });

  it("names the ssh profiles that exist when --profile is wrong", async () => {
    await expect(resolveZwhProfiles({ profile: "lpar9", connects: true, env: env(), cwd: project })).rejects.toMatchObject({
      code: "ZWH-PROFILE-NOT-FOUND",
      hint: expect.stringContaining("lpar1, lpar2"),
    });
  });

  it("headless: secure fields with the vault disabled (CredentialManager false) read plain values and ZOWE_OPT_*", async () => {
    const h2 = path.join(tmp, "headless");
    fs.mkdirSync(path.join(h2, "settings"), { recursive: true });
    fs.writeFileSync(path.join(h2, "settings", "imperative.json"), JSON.stringify({ overrides: { CredentialManager: false } }));
    const config = buildZoweConfig(hosts, {});
    delete config.$schema;
    config.profiles.lpar1.secure = ["user", "keyPassphrase"];
    fs.writeFileSync(path.join(h2, "zowe.config.json"), JSON.stringify(config, null, 2));
    const r = await resolveZwhProfiles({ profile: "lpar1", connects: true, env: { ZOWE_CLI_HOME: h2, ZOWE_OPT_KEY_PASSPHRASE: "pp" }, cwd: project });
    expect(r.args).toMatchObject({ host: "10.1.1.1", user: "ibmuser", passphrase: "pp" });
  });

  it("refuses an ssh profile with insecure: true", async () => {
    const h3 = path.join(tmp, "insecure");
    fs.mkdirSync(h3, { recursive: true });
    const config = buildZoweConfig(hosts, {});
    delete config.$schema;
    config.profiles.lpar1.properties.insecure = true;
    fs.writeFileSync(path.join(h3, "zowe.config.json"), JSON.stringify(config, null, 2));
    await expect(resolveZwhProfiles({ profile: "lpar1", connects: true, env: { ZOWE_CLI_HOME: h3 }, cwd: project })).rejects.toMatchObject({
      code: "ZWH-PROFILE-INSECURE", exitCode: 3,
    });
  });
});
