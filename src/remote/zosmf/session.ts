/**
 * The z/OSMF transport: the RemoteSession the deploy pipeline uses, over z/OSMF's REST services
 * through the Zowe SDKs, for sites where SSH is not allowed.
 *
 * - Files: z/OSMF restfiles. Every write is a BINARY PUT (X-IBM-Data-Type: binary), never a
 *   converting text upload (a plain text upload converts to EBCDIC and leaves the file untagged,
 *   zowe-plugin.md §9). Writes go into files the pipeline pre-created and tagged (overwriting
 *   keeps the tag; the pipeline reads tags back with `ls -T` and re-hashes on the target).
 *   Uploads send a buffer, not a stream: the Zowe rest client re-sends a request whose reused
 *   keep-alive socket was reset, and a re-sent stream would carry only its unread rest.
 * - Commands: z/OSMF has no USS exec, so each exec is a BPXBATCH job (jcl.ts, one template): the
 *   command goes into a script under $HOME/.zwh-jobs (binary PUT, then chtag text ISO8859-1),
 *   the job runs it, STDOUT/STDERR are read from the spool as ISO8859-1 (like the SSH
 *   transport's exec output), and the exit status comes from a marker line the script prints.
 *   An abend, a JCL error or a job that outlives the command timeout (cancelled and purged) is a
 *   coded error (errors.ts).
 * - Many small files (uploadMany) travel as ONE ustar archive unpacked on the target by a
 *   stdlib helper (helpers/zwh_unpack.py) into the pre-tagged files, since z/OSMF is slow per
 *   request.
 * - TLS is verified (rejectUnauthorized true unless the profile says otherwise); extra CAs come
 *   from caFile or NODE_EXTRA_CA_CERTS. Credentials are used for Basic auth or a token cookie,
 *   and never printed.
 */
import { Semaphore } from "../../core/concurrency";
import { createHash, randomBytes } from "crypto";
import { readFileSync } from "fs";
import { readFile as readLocal, writeFile as writeLocal } from "fs/promises";
import * as https from "https";
import { join } from "path";
import * as tls from "tls";
import { ZwhError } from "../../core/errors";
import type {
  ExecCommand, ExecOptions, ExecResult, RemoteSession, RemoteStat, UploadManyFile, UploadManyOptions, UploadOptions,
} from "../connection";
import { DEFAULT_COMMAND_TIMEOUT_MS } from "../connection";
import { envBlock, exportPrefix } from "../env-block";
import { shCommand, shQuote } from "../quote";
import type { TargetSpec } from "../target";
import { helperArgv, ISOLATED } from "../transport";
import { classifyZosmfError } from "./errors";
import { bpxbatchJcl, checkJobSettings, HOME_PROBE, type JobSettings } from "./jcl";
import { ustar } from "./ustar";

type Imperative = typeof import("@zowe/imperative");
type Core = typeof import("@zowe/core-for-zowe-sdk");
type Files = typeof import("@zowe/zos-files-for-zowe-sdk");
type Jobs = typeof import("@zowe/zos-jobs-for-zowe-sdk");

/** How to reach z/OSMF (TargetSpec.zosmf). */
export interface ZosmfTarget extends JobSettings {
  host: string;
  port: number;
  user?: string;
  password?: string;
  /** Token login instead of user/password (e.g. apimlAuthenticationToken behind the API ML). */
  tokenType?: string;
  tokenValue?: string;
  /** Base path in front of /zosmf (API ML: /ibmzosmf/api/v1). */
  basePath?: string;
  /** Verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
  /** PEM file with extra CA certificates to trust for z/OSMF (added to the system roots). */
  caFile?: string;
  /** Delay between job status polls (ms, default 250, growing to 2000). */
  pollMs?: number;
}

const MARK = "@@ZWH_EXIT_";
/** Files at or above this count go as one archive (z/OSMF is slow per request). */
export const ARCHIVE_MIN_FILES = 3;
/** Largest archive built in memory; above it files go one by one. */
export const ARCHIVE_MAX_BYTES = 256 * 1024 * 1024;

let sdk: { imp: Imperative; core: Core; files: Files; jobs: Jobs } | undefined;
function loadSdk(): NonNullable<typeof sdk> {
  if (sdk) return sdk;
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    sdk = {
      imp: require("@zowe/imperative") as Imperative,
      core: require("@zowe/core-for-zowe-sdk") as Core,
      files: require("@zowe/zos-files-for-zowe-sdk") as Files,
      jobs: require("@zowe/zos-jobs-for-zowe-sdk") as Jobs,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
  } catch (e) {
    throw new ZwhError("ZWH-ZOSMF-SDK", "the z/OSMF transport needs the Zowe SDKs (@zowe/imperative, @zowe/zos-files-for-zowe-sdk, @zowe/zos-jobs-for-zowe-sdk)", {
      cause: e, hint: "Reinstall zos-wheelhouse with its dependencies, or use --transport ssh.",
    });
  }
  return sdk;
}

const trustedCaFiles = new Set<string>();
/**
 * The Zowe rest client has no CA option; it uses https.globalAgent. Add the CA file's
 * certificates to that agent's trust (next to the system roots), once per file and process.
 */
export function trustCaFile(file: string): void {
  if (trustedCaFiles.has(file)) return;
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (e) {
    throw new ZwhError("ZWH-ZOSMF-CA", `cannot read the z/OSMF CA file ${file}: ${(e as Error).message}`, { subject: file, cause: e });
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(pem) || pem.length > 1024 * 1024) {
    throw new ZwhError("ZWH-ZOSMF-CA", `${file} is not a PEM certificate file`, { subject: file, hint: "Give the CA certificate(s) in PEM form (-----BEGIN CERTIFICATE-----)." });
  }
  const agent = https.globalAgent as https.Agent & { options: https.AgentOptions };
  const current = agent.options.ca;
  const base = current === undefined ? [...tls.rootCertificates] : Array.isArray(current) ? current : [current];
  agent.options.ca = [...base, pem];
  trustedCaFiles.add(file);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function unpackHelper(): { data: Buffer; sha: string } {
  const cands = [join(__dirname, "..", "helpers", "zwh_unpack.py"), join(__dirname, "..", "..", "..", "src", "remote", "helpers", "zwh_unpack.py")];
  for (const c of cands) {
    try {
      const data = readFileSync(c);
      return { data, sha: createHash("sha256").update(data).digest("hex") };
    } catch {
      /* next */
    }
  }
  throw new ZwhError("ZWH-INTERNAL", `helper zwh_unpack.py is missing from this installation (looked in ${cands.join(", ")})`);
}

/** Mode bits from z/OSMF's "drwxr-xr-x" (plus the file type). */
function modeBits(s: string): number {
  let m = 0;
  for (let i = 0; i < 9; i++) if (s[i + 1] && s[i + 1] !== "-") m |= 1 << (8 - i);
  const type = s[0] === "d" ? 0o040000 : s[0] === "l" ? 0o120000 : 0o100000;
  return type | m;
}

export class ZosmfSession implements RemoteSession {
  readonly envPrefix: string;
  /** SHA256 fingerprint of z/OSMF's TLS certificate (verified), in the place of an SSH host key. */
  hostKeyFingerprint = "";
  readonly authMethod: string;
  private isClosed = false;
  private home: string | undefined;
  private jobsDirReady = false;
  private unpackPath: string | undefined;
  private readonly slots = new Semaphore(4);
  private readonly settings: ReturnType<typeof checkJobSettings>;
  readonly session: InstanceType<Imperative["Session"]>;

  constructor(readonly spec: TargetSpec, readonly z: ZosmfTarget) {
    const { imp } = loadSdk();
    this.settings = checkJobSettings(z);
    this.envPrefix = envBlock({ pythonPath: spec.pythonPath, extraEnv: spec.extraEnv });
    const token = z.tokenValue !== undefined && z.tokenValue !== "";
    this.authMethod = token ? `zosmf-token (${z.tokenType ?? "LtpaToken2"})` : "zosmf-basic";
    this.session = new imp.Session({
      hostname: z.host, port: z.port, protocol: "https", basePath: z.basePath ?? "",
      rejectUnauthorized: z.rejectUnauthorized ?? true,
      ...(token ? { type: "token", tokenType: z.tokenType ?? "LtpaToken2", tokenValue: z.tokenValue } : { type: "basic", user: z.user, password: z.password }),
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private fail(e: unknown, operation: string): ZwhError {
    return classifyZosmfError(e, { host: this.z.host, port: this.z.port, operation });
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.isClosed) throw new ZwhError("ZWH-ZOSMF-CLOSED", `${operation}: the z/OSMF session is closed`, { transient: true });
    try {
      return await fn();
    } catch (e) {
      throw this.fail(e, operation);
    }
  }

  private fsResource(p: string): string {
    const { imp, files } = loadSdk();
    return imp.EncodeUri.encUriPathForUss(this.session, `${files.ZosFilesConstants.RESOURCE}${files.ZosFilesConstants.RES_USS_FILES}/${p.replace(/^\//, "")}`);
  }

  // ---- files ----------------------------------------------------------------------------------

  async readFile(remotePath: string): Promise<Buffer> {
    const { core } = loadSdk();
    return this.call(`read ${remotePath}`, () => core.ZosmfRestClient.getExpectBuffer(this.session, this.fsResource(remotePath), [core.ZosmfHeaders.X_IBM_BINARY]));
  }

  /** Binary PUT of a buffer; an existing file keeps its tag, a new one is created untagged. */
  async writeFile(remotePath: string, data: Buffer | string, opts: { mode?: number } = {}): Promise<void> {
    const { core } = loadSdk();
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const existed = opts.mode !== undefined ? await this.exists(remotePath) : undefined;
    await this.call(`write ${remotePath}`, () =>
      core.ZosmfRestClient.putExpectString(this.session, this.fsResource(remotePath), [core.ZosmfHeaders.OCTET_STREAM, core.ZosmfHeaders.X_IBM_BINARY], buf),
    );
    if (opts.mode !== undefined && !existed) await this.chmod(remotePath, opts.mode);
  }

  async chmod(remotePath: string, mode: number): Promise<void> {
    await this.utility(remotePath, { request: "chmod", mode: (mode & 0o7777).toString(8) }, `chmod ${remotePath}`);
  }

  private async utility(remotePath: string, payload: Record<string, unknown>, operation: string): Promise<Buffer> {
    const { files } = loadSdk();
    return this.call(operation, () => files.Utilities.putUSSPayload(this.session, remotePath, payload));
  }

  /** Tag lines as `chtag -p` prints them, through the z/OSMF chtag utility. */
  async chtagList(remotePath: string): Promise<string[]> {
    const r = await this.utility(remotePath, { request: "chtag", action: "list" }, `chtag list ${remotePath}`);
    return (JSON.parse(r.toString("utf8")) as { stdout?: string[] }).stdout ?? [];
  }

  async upload(localPath: string, remotePath: string, opts: UploadOptions = {}): Promise<void> {
    const data = await this.readLocal(localPath);
    await this.writeFile(remotePath, data, opts.mode !== undefined ? { mode: opts.mode } : {});
    opts.onProgress?.({ transferred: data.length, total: data.length });
  }

  private async readLocal(localPath: string): Promise<Buffer> {
    try {
      return await readLocal(localPath);
    } catch (e) {
      throw new ZwhError("ZWH-LOCAL-READ", `cannot read local file ${localPath}: ${(e as Error).message}`, { subject: localPath, cause: e });
    }
  }

  /**
   * Several files: one archive when there are many small ones in one directory (unpacked on the
   * target by zwh_unpack.py into the existing, pre-tagged files), else one binary PUT each.
   */
  async uploadMany(files: UploadManyFile[], opts: UploadManyOptions = {}): Promise<void> {
    if (files.length === 0) return;
    const dir = files[0].remotePath.slice(0, files[0].remotePath.lastIndexOf("/"));
    const sameDir = files.every((f) => f.remotePath.lastIndexOf("/") === dir.length && f.remotePath.startsWith(dir + "/"));
    const datas = await Promise.all(files.map((f) => this.readLocal(f.localPath)));
    const total = datas.reduce((n, d) => n + d.length, 0);
    if (files.length >= ARCHIVE_MIN_FILES && sameDir && total <= ARCHIVE_MAX_BYTES) {
      const names = files.map((f) => f.remotePath.slice(dir.length + 1));
      const archive = ustar(names.map((name, i) => ({ name, data: datas[i] })));
      const tarPath = `${dir}/.zwh-upload-${randomBytes(8).toString("hex")}.tar`;
      await this.writeFile(tarPath, archive);
      const helper = await this.ensureUnpackHelper();
      const python = this.spec.pythonPath ?? "python3";
      // Stdlib only, isolated and without site like the other helpers (transport.ts helperArgv).
      const r = await this.exec(helperArgv(python, helper, ["--archive", tarPath, "--dest", dir, "--remove-archive"], ISOLATED), { label: "unpack uploaded archive" });
      if (r.code !== 0) {
        throw new ZwhError("ZWH-ZOSMF-UNPACK", `unpacking the upload archive in ${dir} on ${this.z.host}:${this.z.port} failed (exit ${r.code}): ${r.stdout.trim().slice(-500)} ${r.stderr.trim().slice(-500)}`, {
          subject: dir, details: { stdout: r.stdout.slice(-2000), stderr: r.stderr.slice(-2000) },
        });
      }
      opts.onProgress?.({ file: names[names.length - 1], filesDone: files.length, filesTotal: files.length, bytesDone: total, bytesTotal: total });
      return;
    }
    let done = 0;
    let bytes = 0;
    const sem = new Semaphore(opts.concurrency ?? 4);
    await Promise.all(files.map((f, i) => sem.run(async () => {
      await this.writeFile(f.remotePath, datas[i]);
      done++;
      bytes += datas[i].length;
      opts.onProgress?.({ file: f.remotePath, filesDone: done, filesTotal: files.length, bytesDone: bytes, bytesTotal: total });
    })));
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    const data = await this.readFile(remotePath);
    try {
      await writeLocal(localPath, data);
    } catch (e) {
      throw new ZwhError("ZWH-LOCAL-WRITE", `cannot write local file ${localPath}: ${(e as Error).message}`, { subject: localPath, cause: e });
    }
  }

  async exists(remotePath: string): Promise<RemoteStat | undefined> {
    const { core, files, imp } = loadSdk();
    try {
      const res = await core.ZosmfRestClient.getExpectJSON<{ items?: Array<{ name: string; mode: string; size: number; uid: number; gid: number; mtime: string }> }>(
        this.session,
        `${files.ZosFilesConstants.RESOURCE}${files.ZosFilesConstants.RES_USS_FILES}?path=${imp.EncodeUri.encUriQueryForUss(remotePath)}`,
        [{ "X-IBM-Max-Items": "1" }],
      );
      const it = res.items?.[0];
      if (!it) return undefined;
      const mode = modeBits(it.mode);
      return {
        size: it.size, mode, mtime: Math.floor(Date.parse(it.mtime + "Z") / 1000) || 0, uid: it.uid, gid: it.gid,
        isFile: it.mode[0] === "-", isDirectory: it.mode[0] === "d", isSymbolicLink: it.mode[0] === "l",
      };
    } catch (e) {
      const err = this.fail(e, `stat ${remotePath}`);
      if (err.code === "ZWH-ZOSMF-NOT-FOUND") return undefined;
      throw err;
    }
  }

  async stat(remotePath: string): Promise<RemoteStat> {
    const s = await this.exists(remotePath);
    if (!s) throw new ZwhError("ZWH-SFTP-NOT-FOUND", `${remotePath} does not exist on ${this.z.host}:${this.z.port}`, { subject: remotePath });
    return s;
  }

  async mkdirp(remotePath: string, mode = 0o755): Promise<void> {
    const st = await this.exists(remotePath);
    if (st) {
      if (!st.isDirectory) throw new ZwhError("ZWH-ZOSMF-HTTP", `${remotePath} exists on ${this.z.host}:${this.z.port} and is not a directory`, { subject: remotePath });
      return;
    }
    const parent = remotePath.replace(/\/+$/, "").slice(0, remotePath.replace(/\/+$/, "").lastIndexOf("/"));
    if (parent && parent !== remotePath) await this.mkdirp(parent, mode);
    const { files } = loadSdk();
    try {
      await files.Create.uss(this.session, remotePath, "directory", (mode & 0o777).toString(8));
    } catch (e) {
      const again = await this.exists(remotePath); // made meanwhile (parallel mkdirp)
      if (again?.isDirectory) return;
      throw this.fail(e, `mkdir ${remotePath}`);
    }
  }

  async rename(from: string, to: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    await this.utility(to, { request: "move", from, overwrite: opts.overwrite ?? true }, `rename ${from} -> ${to}`);
  }

  async unlink(remotePath: string): Promise<void> {
    const { core } = loadSdk();
    await this.call(`delete ${remotePath}`, () => core.ZosmfRestClient.deleteExpectString(this.session, this.fsResource(remotePath)));
  }

  async realpath(remotePath: string): Promise<string> {
    const r = await this.execChecked({ script: `cd ${shQuote(remotePath)} && pwd -P` }, { label: "realpath" });
    return r.stdout.trim();
  }

  /** $HOME of the z/OS user (one small job, cached): where job scripts go. */
  async homeDir(): Promise<string> {
    if (this.home) return this.home;
    // The first job cannot use a script file (HOME is not known yet): SH echo "$HOME" fits the PARM.
    const out = await this.runJob(bpxbatchJcl(this.settings, HOME_PROBE), "home directory", this.spec.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    const home = out.stdout.trim().split("\n").pop() ?? "";
    if (!home.startsWith("/")) {
      throw new ZwhError("ZWH-ZOSMF-JOB-FAILED", `could not learn the home directory of ${this.z.user ?? "the user"} on ${this.z.host}:${this.z.port} (job printed ${JSON.stringify(out.stdout.slice(0, 200))})`, {
        subject: `${this.z.host}:${this.z.port}`, hint: "The z/OS user needs an OMVS segment with a home directory.",
      });
    }
    this.home = home;
    return home;
  }

  private async ensureJobsDir(): Promise<string> {
    const home = await this.homeDir();
    const dir = `${home}/.zwh-jobs`;
    if (!this.jobsDirReady) {
      await this.mkdirp(dir, 0o700);
      this.jobsDirReady = true;
    }
    return dir;
  }

  private async ensureUnpackHelper(): Promise<string> {
    if (this.unpackPath) return this.unpackPath;
    const dir = await this.ensureJobsDir();
    const h = unpackHelper();
    const p = `${dir}/zwh_unpack-${h.sha.slice(0, 12)}.py`;
    const st = await this.exists(p);
    if (!st || st.size !== h.data.length) {
      await this.writeTextFile(p, h.data);
    }
    this.unpackPath = p;
    return p;
  }

  /** A text file the target reads: binary PUT, then chtag text ISO8859-1 (never a converting upload). */
  private async writeTextFile(p: string, data: Buffer): Promise<void> {
    await this.writeFile(p, data);
    await this.utility(p, { request: "chtag", action: "set", type: "text", codeset: "ISO8859-1" }, `chtag ${p}`);
  }

  // ---- commands ------------------------------------------------------------------------------

  async exec(cmd: ExecCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    const label = opts.label ?? (Array.isArray(cmd) ? String((cmd as readonly string[])[0]) : "script");
    const body = Array.isArray(cmd) ? shCommand(cmd as readonly string[]) : (cmd as { script: string }).script;
    const timeout = opts.timeoutMs ?? this.spec.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return this.slots.run(async () => {
      const dir = await this.ensureJobsDir();
      const id = randomBytes(8).toString("hex");
      const script = `${dir}/${id}.sh`;
      let stdin = "/dev/null";
      if (opts.stdinText !== undefined) {
        stdin = `${dir}/${id}.in`;
        await this.writeTextFile(stdin, Buffer.from(opts.stdinText, "latin1"));
      }
      // The command runs in a subshell so that its own `exit` still reaches the marker line.
      const text =
        `(\n${this.envPrefix}${exportPrefix(opts.env ?? {})}${body}\n) < ${shQuote(stdin)}\n` +
        `zwh_rc=$?\nrm -f ${shQuote(script)}${stdin !== "/dev/null" ? " " + shQuote(stdin) : ""}\n` +
        `printf '\\n${MARK}%d@@\\n' "$zwh_rc"\n`;
      await this.writeTextFile(script, Buffer.from(text, "latin1"));
      const out = await this.runJob(bpxbatchJcl(this.settings, `.zwh-jobs/${id}.sh`), label, timeout);
      const re = new RegExp(`\\n${MARK}(\\d+)@@\\n?$`);
      const m = re.exec(out.stdout);
      if (!m) {
        throw new ZwhError("ZWH-ZOSMF-JOB-FAILED", `job ${out.job} (${label}) on ${this.z.host}:${this.z.port} ended (${out.retcode}) without reporting an exit status`, {
          subject: `${this.z.host}:${this.z.port}`, details: { job: out.job, retcode: out.retcode, stdout: out.stdout.slice(-2000), stderr: out.stderr.slice(-2000) },
          hint: "Check the job's output in JES (it is kept when a job fails) and that /bin/sh can read files tagged ISO8859-1 with _BPXK_AUTOCVT=ON.",
        });
      }
      return { code: Number(m[1]), stdout: out.stdout.slice(0, m.index), stderr: out.stderr };
    });
  }

  async execChecked(cmd: ExecCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(cmd, opts);
    if (r.code !== 0) {
      const label = opts.label ?? (Array.isArray(cmd) ? String((cmd as readonly string[])[0]) : "script");
      const tail = r.stderr.trim().split("\n").slice(-5).join("\n");
      throw new ZwhError("ZWH-REMOTE-COMMAND", `remote command '${label}' failed on ${this.spec.host}:${this.spec.port} with exit code ${r.code}${tail ? `: ${tail}` : ""}`, {
        subject: `${this.spec.host}:${this.spec.port}`,
        details: { host: this.spec.host, port: this.spec.port, label, exitCode: r.code, stderr: r.stderr.slice(-4000), stdout: r.stdout.slice(-2000) },
      });
    }
    return r;
  }

  /**
   * Submit, wait for OUTPUT, read STDOUT/STDERR as ISO8859-1, purge. Abend / JCL error /
   * timeout (the job is cancelled and purged) are coded errors; a failed job is kept in JES.
   */
  private async runJob(jcl: string, label: string, timeoutMs: number): Promise<{ job: string; retcode: string; stdout: string; stderr: string }> {
    const { jobs } = loadSdk();
    const submitted = await this.call(`submit job (${label})`, () => jobs.SubmitJobs.submitJcl(this.session, jcl));
    const job = `${submitted.jobname}(${submitted.jobid})`;
    const deadline = Date.now() + timeoutMs;
    let delay = this.z.pollMs ?? 100;
    let status = submitted;
    while (status.status !== "OUTPUT") {
      if (Date.now() >= deadline) {
        await this.call(`cancel job ${job}`, () => jobs.CancelJobs.cancelJob(this.session, submitted.jobname, submitted.jobid, "2.0")).catch(() => undefined);
        await this.call(`purge job ${job}`, () => jobs.DeleteJobs.deleteJob(this.session, submitted.jobname, submitted.jobid)).catch(() => undefined);
        throw new ZwhError("ZWH-ZOSMF-JOB-TIMEOUT", `job ${job} (${label}) on ${this.z.host}:${this.z.port} did not finish within ${timeoutMs} ms; it was cancelled`, {
          subject: `${this.z.host}:${this.z.port}`, transient: true, details: { job, label, timeoutMs, lastStatus: status.status },
          hint: "Raise --command-timeout, or check why the job waits (JES initiators for the job class, a held job class).",
        });
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      delay = Math.min(Math.round(delay * 1.3), 2000);
      status = await this.call(`status of job ${job}`, () => jobs.GetJobs.getStatusCommon(this.session, { jobname: submitted.jobname, jobid: submitted.jobid }));
    }
    const retcode = String(status.retcode ?? "");
    const spool = await this.call(`spool files of ${job}`, () => jobs.GetJobs.getSpoolFiles(this.session, submitted.jobname, submitted.jobid));
    const read = async (dd: string): Promise<string> => {
      const f = spool.find((x) => x.ddname === dd);
      if (!f) return "";
      const s = await this.call(`spool ${dd} of ${job}`, () => jobs.GetJobs.getSpoolContentById(this.session, submitted.jobname, submitted.jobid, f.id, "ISO8859-1"));
      return s;
    };
    const [stdout, stderr] = await Promise.all([read("STDOUT"), read("STDERR")]);
    if (/^CC \d+$/.test(retcode)) {
      await this.call(`purge job ${job}`, () => jobs.DeleteJobs.deleteJob(this.session, submitted.jobname, submitted.jobid)).catch(() => undefined);
      return { job, retcode, stdout, stderr };
    }
    const jesmsg = spool.find((x) => x.ddname === "JESYSMSG");
    const sysmsg = jesmsg ? (await this.call(`spool JESYSMSG of ${job}`, () => jobs.GetJobs.getSpoolContentById(this.session, submitted.jobname, submitted.jobid, jesmsg.id)).catch(() => "")).trim().split("\n").slice(0, 5).join(" / ") : "";
    const details = { job, label, retcode, jesysmsg: sysmsg, stdout: stdout.slice(-2000), stderr: stderr.slice(-2000) };
    if (/^ABEND/.test(retcode)) {
      throw new ZwhError("ZWH-ZOSMF-JOB-ABEND", `job ${job} (${label}) on ${this.z.host}:${this.z.port} abended: ${retcode}${sysmsg ? ` (${sysmsg})` : ""}`, {
        subject: `${this.z.host}:${this.z.port}`, details,
        hint: `The job output is kept in JES (${job}); look at its JESYSMSG and STDERR, fix the cause, and retry.`,
      });
    }
    if (/JCL ERROR/.test(retcode)) {
      throw new ZwhError("ZWH-ZOSMF-JOB-JCL", `JES refused job ${job} (${label}) on ${this.z.host}:${this.z.port}: JCL ERROR${sysmsg ? ` (${sysmsg})` : ""}`, {
        subject: `${this.z.host}:${this.z.port}`, details, hint: "Check the job name, class and account settings (zosmf profile / --zosmf-job-*).",
      });
    }
    throw new ZwhError("ZWH-ZOSMF-JOB-FAILED", `job ${job} (${label}) on ${this.z.host}:${this.z.port} ended with ${retcode || "no return code"}`, {
      subject: `${this.z.host}:${this.z.port}`, details, hint: `The job output is kept in JES (${job}).`,
    });
  }

  async close(): Promise<void> {
    this.isClosed = true;
  }
}

/** "SHA256:<base64>" of the server certificate, over a connection verified like the SDK's. */
function certificateFingerprint(z: ZosmfTarget): Promise<string> {
  const agent = https.globalAgent as https.Agent & { options: https.AgentOptions };
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: z.host, port: z.port, servername: /^[\d.]+$/.test(z.host) ? undefined : z.host, ca: agent.options.ca, rejectUnauthorized: z.rejectUnauthorized ?? true }, () => {
      const cert = sock.getPeerCertificate();
      sock.end();
      resolve(cert?.raw ? `SHA256:${createHash("sha256").update(cert.raw).digest("base64").replace(/=+$/, "")}` : "");
    });
    sock.setTimeout(10_000, () => sock.destroy(new Error("timeout")));
    sock.on("error", reject);
  });
}

/**
 * Open the z/OSMF transport: check TLS (GET /zosmf/info), then credentials and JES with one small
 * job that also learns $HOME. Errors are coded (errors.ts); nothing is written.
 */
export async function connectZosmf(spec: TargetSpec): Promise<ZosmfSession> {
  const z = spec.zosmf;
  if (!z) throw new ZwhError("ZWH-INTERNAL", "connectZosmf without spec.zosmf");
  if (z.caFile) trustCaFile(z.caFile);
  if (!(z.tokenValue || (z.user && z.password))) {
    throw new ZwhError("ZWH-ARGS-MISSING", `z/OSMF at ${z.host}:${z.port} needs a user and password (or a token)`, {
      hint: "Use a zosmf profile with user and password in the secure store, or --zosmf-user with --zosmf-password-env VAR.",
    });
  }
  const s = new ZosmfSession(spec, z);
  const { core } = loadSdk();
  await s["call"]("connect", () => core.ZosmfRestClient.getExpectJSON(s.session, "/zosmf/info"));
  s.hostKeyFingerprint = await certificateFingerprint(z).catch(() => "");
  await s.homeDir();
  return s;
}
