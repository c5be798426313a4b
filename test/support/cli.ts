/**
 * Run the built zwh CLI (lib/) as a user would. Builds once per test process if lib/ is missing
 * or older than src/ (scripts/test always builds first, so this is for focused dev runs).
 */
import { spawn, spawnSync, execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const REPO = path.resolve(__dirname, "..", "..");
const ZWH = path.join(REPO, "bin", "zwh.js");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

let built = false;
export function ensureBuilt(): void {
  if (built) return;
  const marker = path.join(REPO, "lib", "cli", "zwh", "main.js");
  if (!fs.existsSync(marker) || fs.statSync(marker).mtimeMs < newestMtime(path.join(REPO, "src"))) {
    execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: REPO, stdio: "inherit" });
    execFileSync("node", ["scripts/copy-assets.js"], { cwd: REPO, stdio: "inherit" });
  }
  built = true;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json?: Record<string, unknown>;
}

/** Run bin/zwh.js; timeoutMs is a hang guard (a killed run has code -1). */
export function zwh(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): CliResult {
  ensureBuilt();
  const r = spawnSync(process.execPath, [ZWH, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, CI: "true", ...opts.env },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs, killSignal: "SIGKILL" as const } : {}),
  });
  const res: CliResult = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (args.includes("--json")) {
    try { res.json = JSON.parse(r.stdout); } catch { /* left undefined: the test says what it expected */ }
  }
  return res;
}

/**
 * zwh without blocking this process: needed when the test process itself serves the target
 * (the fault proxy lives in the test's event loop, which spawnSync would freeze).
 */
export function zwhAsync(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  ensureBuilt();
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [ZWH, ...args], { cwd: opts.cwd ?? REPO, env: { ...process.env, CI: "true", ...opts.env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    c.stdout.on("data", (b: Buffer) => out.push(b));
    c.stderr.on("data", (b: Buffer) => err.push(b));
    c.on("error", reject);
    c.on("close", (code) => {
      const res: CliResult = { code: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
      if (args.includes("--json")) {
        try { res.json = JSON.parse(res.stdout); } catch { /* left undefined: the test says what it expected */ }
      }
      resolve(res);
    });
  });
}
