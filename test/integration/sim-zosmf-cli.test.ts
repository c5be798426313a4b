// scripts/uss-sim start --zosmf: a simulated z/OSMF beside each sshd, in the --json output, in the
// --zowe-config team config, in status, and stopped by stop.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimHost } from "../sim";

const CLI = path.resolve(__dirname, "..", "..", "scripts", "uss-sim");
let dir: string;
let hosts: SimHost[];

function cli(...args: string[]) {
  const r = spawnSync(CLI, args, { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function info(h: SimHost, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port: h.zosmf!.port, path: "/zosmf/info", ca: fs.readFileSync(ca), agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-sim-zosmf-cli-"));
  const r = cli("start", "--hosts", "2", "--dir", dir, "--json", "--zosmf", "--zowe-config", path.join(dir, "zhome", "zowe.config.json"));
  expect(r.code).toBe(0);
  hosts = JSON.parse(r.stdout).hosts;
});

afterAll(() => {
  if (dir) {
    cli("stop", "--dir", dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe("uss-sim start --zosmf", () => {
  it("prints a z/OSMF per host that answers over TLS verified with its CA only", async () => {
    for (const h of hosts) {
      expect(Object.keys(h.zosmf!).sort()).toEqual(["caFile", "host", "logFile", "password", "port", "token", "user", "wrongCaFile"]);
      const r = await info(h, h.zosmf!.caFile);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ zosmf_version: "29", api_version: "1", simulated: true });
      await expect(info(h, h.zosmf!.wrongCaFile)).rejects.toThrow(/signature|certificate/i);
    }
    expect(hosts[0].zosmf!.port).not.toBe(hosts[1].zosmf!.port);
    expect(hosts[0].zosmf!.password).not.toBe(hosts[1].zosmf!.password);
  });

  it("--zowe-config writes a zosmf profile per host and the CA in the wheelhouse profile", () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, "zhome", "zowe.config.json"), "utf8"));
    for (const h of hosts) {
      expect(cfg.profiles[`${h.name}_zosmf`]).toEqual({
        type: "zosmf",
        properties: { host: "127.0.0.1", port: h.zosmf!.port, user: h.user, password: h.zosmf!.password, rejectUnauthorized: true, protocol: "https" },
      });
    }
    expect(cfg.defaults.zosmf).toBe("lpar1_zosmf");
    expect(cfg.profiles.prod.properties.zosmfCaFile).toBe(hosts[0].zosmf!.caFile);
  });

  it("status counts the z/OSMF daemons; stop ends them", async () => {
    expect(cli("status", "--dir", dir).code).toBe(0);
    expect(cli("stop", "--dir", dir).code).toBe(0);
    await expect(info(hosts[0], hosts[0].zosmf!.caFile)).rejects.toThrow(/ECONNREFUSED/);
    expect(cli("status", "--dir", dir).code).toBe(3);
  });
});
