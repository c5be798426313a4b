// TypeScript API of the z/OS USS simulator. The implementation is test/sim/controller.js (plain
// CommonJS so that scripts/uss-sim needs no build step); see test/sim/README.md.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Per-host behaviour switches (README.md lists the zos-uss.md § each one comes from). */
export interface SimSwitches {
  /** `uname -s`, `os.uname().sysname` (§6). Default "OS/390". */
  unameSysname: string;
  /** `uname -r`; also the release in `sysconfig.get_platform()` (§6). Default "29.00". */
  unameRelease: string;
  /** `uname -v` (§6). Default "04". */
  unameVersion: string;
  /** `uname -m`; also the machine in the platform tag (§6). Default "8561". */
  unameMachine: string;
  /** `uname -n`; empty means the upper-cased host name (LPAR1). */
  nodename: string;
  /** Absolute path inside the host root of the SDK interpreter (§6). Start-time only; empty (the
   *  default) means `/usr/lpp/IBM/cyp/v3rNN/pyz/bin/python3` for the base interpreter's 3.NN. */
  pythonPath: string;
  /** Tag-driven reads (§3, §4, §12): `cat`/`head`/`grep`/`sed`/`awk` FILE operands and `sh FILE` /
   *  `. FILE` scripts are read through their tag; untagged counts as EBCDIC. Default true. */
  strictUntaggedText: boolean;
  /** Files installed by pip get tagged `t ISO8859-1` (§8, §13 unverified). */
  pipTagsInstalledFiles: boolean;
  /** Test switch: non-empty makes pip's wheel installer fail (ENOSPC, like a full zFS) with this text. */
  pipInstallFails: string;
  /** SFTP writes into untagged files are transcoded with the §11 tables (§5.2). */
  hostileAutocvt: false | "a2e" | "e2a";
  /** Files newly created over SFTP come up tagged `t ISO8859-1` (§1 auto-tag mount). */
  autoTagMount: boolean;
  /** No `sha256` command on PATH (§5.3, unverified). Default true. */
  noSha256: boolean;
  /** GNU-only options of the POSIX tools fail with an FSUM usage error (issue 9). Default true. */
  strictPosix: boolean;
  /** Exec stdin/stdout conversion like z/OS sshd's ChannelConvert shell,exec (§5.3, §12). Default true. */
  channelConvert: boolean;
  /** Python source piped on stdin is EBCDIC to the SDK interpreter: SyntaxError unless
   *  PYTHONSTDINENCODING is set (§9, §12). Default true. */
  pythonStdinEbcdic: boolean;
  /** The SDK's pip ships its bytecode (__pycache__), as installers write it (inference). Default
   *  true; false: every pip start compiles pip's modules (the SDK is read-only to the user). */
  sdkPipBytecode: boolean;
  /** Simulated z/OSMF: "S0C4" or "S0C4:<substring>": matching BPXBATCH jobs abend before running. */
  zosmfJobAbend: string;
  /** Simulated z/OSMF: "<ms>" or "<ms>:<substring>": matching jobs stay ACTIVE that long before running. */
  zosmfJobStallMs: string;
  /** Simulated z/OSMF: "<bytes>": a file upload is cut (connection destroyed) after that many bytes. */
  zosmfCutUploadAfter: string;
}

/** The simulated z/OSMF of a host (startUssHosts({ zosmf: true })). A simulator, not z/OSMF. */
export interface SimZosmf {
  host: "127.0.0.1";
  port: number;
  user: string;
  /** Generated per start; the only password the simulated z/OSMF accepts for `user`. */
  password: string;
  /** Accepted as an LtpaToken2 / apimlAuthenticationToken cookie (token login). */
  token: string;
  /** The simulator's own CA (PEM): the only issuer of the server certificate. */
  caFile: string;
  /** An unrelated CA: trusting only it must make TLS verification fail. */
  wrongCaFile: string;
  /** Request log (method, path, status; never credentials). */
  logFile: string;
}

export interface SimHost {
  name: string;
  host: "127.0.0.1";
  port: number;
  user: string;
  identityFile: string;
  hostKeyFingerprint: string;
  knownHostsFile: string;
  root: string;
  pythonPath: string;
  /** "ssh-ed25519 AAAA..." */
  hostKeyPublic: string;
  /** Home directory of the login user (`<root>/u/<user>`); sessions start here. */
  home: string;
  /** Simulator bookkeeping dir of this host (sshd_config, switches.json, logs). */
  hostDir: string;
  /** Present when started with `zosmf: true`. */
  zosmf?: SimZosmf;
}

export interface SimCluster {
  hosts: SimHost[];
  dir: string;
  stop(): Promise<void>;
}

interface Controller {
  DEFAULT_SWITCHES: SimSwitches;
  startHosts(opts: { hosts?: number; dir?: string; switches?: Partial<SimSwitches>; zosmf?: boolean }): Promise<{
    dir: string;
    hosts: SimHost[];
  }>;
  stopHosts(dir: string): Promise<{ stopped: string[] }>;
  setSwitches(hostDir: string, partial: Partial<SimSwitches>): SimSwitches;
  findBasePython(): { executable: string; ver: string };
  readCpuRecords(hostDir: string, from?: number): CpuRecord[];
  sumCpu(records: CpuRecord[]): CpuTotals;
}

/** One exec's accounting record (SMF type 30 style), written by the host's session wrapper. */
export interface CpuRecord {
  type: 30;
  /** "exec" (one per exec request) or "sftp" (one per SFTP session). */
  kind: "exec" | "sftp";
  /** Start time, ISO 8601 UTC. */
  time: string;
  command: string;
  /** User and system CPU seconds of the whole process tree of the exec. */
  user: number;
  system: number;
  cpu: number;
  /** Wall seconds from start to exit. */
  elapsed: number;
  exit: number;
  signal?: number;
}

export interface CpuTotals {
  execs: number;
  sftpSessions: number;
  user: number;
  system: number;
  cpu: number;
  elapsed: number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ctl = require(path.join(__dirname, "controller.js")) as Controller;

export const DEFAULT_SWITCHES: Readonly<SimSwitches> = ctl.DEFAULT_SWITCHES;

/**
 * Start `hosts` simulated z/OS hosts (default 1). Without `dir`, a fresh temp dir is used (and
 * removed by `stop()`), so parallel test files never collide. `zosmf: true` also starts a
 * simulated z/OSMF (HTTPS, own CA) per host beside its sshd (test/sim/zosmf).
 */
export async function startUssHosts(opts?: {
  hosts?: number;
  dir?: string;
  switches?: Partial<SimSwitches>;
  zosmf?: boolean;
}): Promise<SimCluster> {
  const temp = !opts?.dir;
  const dir = opts?.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "zwh-sim-"));
  const res = await ctl.startHosts({ hosts: opts?.hosts, dir, switches: opts?.switches, zosmf: opts?.zosmf });
  let stopped = false;
  return {
    hosts: res.hosts,
    dir: res.dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await ctl.stopHosts(res.dir);
      if (temp) fs.rmSync(res.dir, { recursive: true, force: true });
    },
  };
}

/** Change switches of a running host; they take effect for the next command / SFTP session. */
export function setSimSwitches(host: SimHost, partial: Partial<SimSwitches>): SimSwitches {
  return ctl.setSwitches(host.hostDir, partial);
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Common `ssh`/`sftp` client options for a host: its identity and known_hosts, no user config. */
export function sshClientOptions(host: SimHost): string[] {
  return [
    "-F",
    "/dev/null",
    "-i",
    host.identityFile,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `UserKnownHostsFile=${host.knownHostsFile}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "LogLevel=ERROR",
  ];
}

function runClient(
  cmd: string,
  args: string[],
  input?: string | Buffer,
): Promise<{ code: number; stdout: Buffer; stderr: Buffer }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (d: Buffer) => out.push(d));
    p.stderr.on("data", (d: Buffer) => err.push(d));
    p.on("error", reject);
    p.on("close", (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out), stderr: Buffer.concat(err) }),
    );
    p.stdin.on("error", () => undefined);
    p.stdin.end(input ?? "");
  });
}

/** Run `cmd` on the host through the system ssh client (exec channel, like the product). */
export async function simExecRaw(
  host: SimHost,
  cmd: string,
  opts?: { input?: string | Buffer; port?: number },
): Promise<{ code: number; stdout: Buffer; stderr: Buffer }> {
  const port = opts?.port ?? host.port;
  const args = [...sshClientOptions(host), "-p", String(port), `${host.user}@${host.host}`, cmd];
  if (opts?.port !== undefined && opts.port !== host.port) {
    // through a proxy: the known_hosts entry is for the real port
    args.splice(0, 0, "-o", `HostKeyAlias=[127.0.0.1]:${host.port}`);
  }
  return runClient("ssh", args, opts?.input);
}

export async function simExec(
  host: SimHost,
  cmd: string,
  opts?: { input?: string | Buffer; port?: number },
): Promise<ExecResult> {
  const r = await simExecRaw(host, cmd, opts);
  return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

/** Run an `sftp -b -` batch (one command per line) against the host. */
export async function simSftp(host: SimHost, batch: string, opts?: { port?: number }): Promise<ExecResult> {
  const port = opts?.port ?? host.port;
  const args = [...sshClientOptions(host), "-P", String(port)];
  if (opts?.port !== undefined && opts.port !== host.port) {
    args.push("-o", `HostKeyAlias=[127.0.0.1]:${host.port}`);
  }
  args.push("-b", "-", `${host.user}@${host.host}`);
  const r = await runClient("sftp", args, batch.endsWith("\n") ? batch : batch + "\n");
  return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

/** The host's accounting records, oldest first, from record number `from` (a `cpuMark`). */
export function readCpuRecords(host: SimHost, from = 0): CpuRecord[] {
  return ctl.readCpuRecords(host.hostDir, from);
}

/** The number of records so far: pass it to `readCpuRecords`/`cpuSince` to measure a span. */
export function cpuMark(host: SimHost): number {
  return ctl.readCpuRecords(host.hostDir).length;
}

/** Totals (execs, user/system/total CPU seconds, elapsed) of records. */
export function sumCpu(records: CpuRecord[]): CpuTotals {
  return ctl.sumCpu(records);
}

/** Totals of the execs on `host` since `mark` (from `cpuMark`). */
export function cpuSince(host: SimHost, mark: number): CpuTotals {
  return sumCpu(readCpuRecords(host, mark));
}

/** Absolute local path of a host path ("/u/root/x" -> "<root>/u/root/x"). */
export function hostPath(host: SimHost, p: string): string {
  return path.join(host.root, p);
}

/**
 * Build a tiny valid wheel (stdlib Python zipfile) into `outDir` and return its path.
 * `tag` is the wheel's compatibility tag, e.g. "py3-none-any" or "cp311-cp311-manylinux_2_17_x86_64".
 */
export function buildTestWheel(outDir: string, name: string, version: string, tag: string): string {
  const py = ctl.findBasePython().executable;
  fs.mkdirSync(outDir, { recursive: true });
  const r = spawnSync(py, ["-I", path.join(__dirname, "make_wheel.py"), outDir, name, version, tag], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`make_wheel.py failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Write a file into the host's file system as the host's session user would own it (the test
 * process may be root; the session user must be able to change or chtag the file).
 */
export function writeHostFile(host: SimHost, localPath: string, data: string | Buffer): void {
  fs.writeFileSync(localPath, data);
  if (process.getuid?.() === 0 && host.user !== "root") {
    const id = (flag: string) => Number(spawnSync("id", [flag, host.user], { encoding: "utf8" }).stdout.trim());
    fs.chownSync(localPath, id("-u"), id("-g"));
  }
}
