/**
 * The Zowe CLI plugin installed the way an air-gapped site installs it, for the tests that drive
 * the real Zowe CLI (dev dependency @zowe/cli): `npm pack` (bundled dependencies) into a fresh
 * temporary directory, then `zowe plugins install <tgz>` into an isolated ZOWE_CLI_HOME with npm
 * offline and without install scripts (docs/offline-install.md). Headless like CI: the credential
 * vault is disabled ("CredentialManager": false).
 *
 * `npm pack` misbehaves when node_modules is a symlink (the team's worktrees): these tests run in
 * a checkout with a real node_modules (scripts/test). Needs lib/ built.
 *
 * Nothing here loads @zowe/cli into the test process: it carries its own ssh2, and loading ours
 * (in-process deploys, probes) after it aborts Node.
 */
import { spawnSync, type SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "vitest";
import { REPO } from "./cli";

export const ZOWE = path.join(REPO, "node_modules", ".bin", "zowe");
export const ZWH = path.join(REPO, "bin", "zwh.js");

export interface ZowePluginHome {
  /** The test's temporary directory (mode 0755: the simulator's session user reaches below it). */
  tmp: string;
  /** ZOWE_CLI_HOME, with the plugin installed. */
  home: string;
  /** An empty working directory for the commands. */
  work: string;
  tgz: string;
  /** What npm pack put in the tgz. */
  packedFiles: string[];
  packMs: number;
  installMs: number;
}

/** The environment of a Zowe run in `home`: no ZOWE_OPT_* from the caller's shell, no colour. */
export function zoweEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ZOWE_CLI_HOME: home, FORCE_COLOR: "0", ...extra };
  for (const k of Object.keys(env)) if (k.startsWith("ZOWE_OPT_") && !(k in extra)) delete env[k];
  return env;
}

/** Pack this checkout and install the tgz into a fresh ZOWE_CLI_HOME under a new temporary directory. */
export function installZowePlugin(prefix: string): ZowePluginHome {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(tmp, 0o755);
  const home = path.join(tmp, "zowe-home");
  const work = path.join(tmp, "work");
  fs.mkdirSync(path.join(home, "settings"), { recursive: true });
  fs.mkdirSync(work, { recursive: true });
  fs.writeFileSync(path.join(home, "settings", "imperative.json"), JSON.stringify({ overrides: { CredentialManager: false } }));

  const t0 = Date.now();
  const pack = spawnSync("npm", ["pack", "--json", "--pack-destination", tmp], { cwd: REPO, encoding: "utf8", timeout: 120_000 });
  expect(pack.status, pack.stderr).toBe(0);
  const packed = JSON.parse(pack.stdout)[0] as { filename: string; files: Array<{ path: string }> };
  const tgz = path.join(tmp, packed.filename);
  const packMs = Date.now() - t0;

  const t1 = Date.now();
  // Offline and without install scripts: everything must come from the bundled tgz.
  const install = spawnSync(ZOWE, ["plugins", "install", tgz], {
    cwd: work, encoding: "utf8", timeout: 300_000,
    env: zoweEnv(home, { npm_config_offline: "true", npm_config_ignore_scripts: "true" }),
  });
  expect(install.status, install.stdout + install.stderr).toBe(0);
  expect(install.stdout).toContain("successfully validated");
  return { tmp, home, work, tgz, packedFiles: packed.files.map((f) => f.path), packMs, installMs: Date.now() - t1 };
}

/** The parsed `--rfj` envelope (the output must be one JSON object). */
export interface RfjEnvelope {
  success: boolean;
  exitCode: number;
  message: string;
  stdout: string;
  stderr: string;
  data: Record<string, any>;
  error?: { msg: string; errorCode?: string; additionalDetails?: string };
}

export function rfjOf(r: SpawnSyncReturns<string>): RfjEnvelope {
  expect(r.stdout, r.stderr).toMatch(/^\s*\{/);
  return JSON.parse(r.stdout) as RfjEnvelope;
}

/**
 * A --json/--rfj object without what differs from one run to the next (run ids, times), so the
 * two CLIs' objects for the same inputs can be compared whole; `more` names further keys.
 */
export function withoutRunFields(v: unknown, more: string[] = []): unknown {
  const drop = new Set(["runId", "durationMs", "ms", "at", "startedAt", "finishedAt", "deployedAt", "createdAt", ...more]);
  const walk = (x: unknown): unknown => Array.isArray(x) ? x.map(walk) : x && typeof x === "object"
    ? Object.fromEntries(Object.entries(x as Record<string, unknown>).filter(([k]) => !drop.has(k)).map(([k, val]) => [k, walk(val)])) : x;
  return walk(v);
}
