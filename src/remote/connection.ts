/**
 * The SSH transport: ONE ssh2 connection per host, carrying one SFTP channel (opened on first
 * use) and a bounded number of exec channels.
 *
 * - Host keys are always verified (host-verify.ts) before any credential is sent.
 * - Every exec command is `envBlock() + command`, with the command built only through
 *   shCommand/shQuote (quote.ts). stdout/stderr are decoded as ISO8859-1: z/OS sshd converts
 *   exec output to ISO8859-1, and latin1 maps every byte to one char, so nothing is lost.
 *   Binary data never travels over exec; use SFTP (download/readFile).
 * - Uploads use ssh2 fastPut (parallel pipelined WRITE requests), never a stream put().
 * - No operation can outlive the connection: every pending exec and SFTP request is rejected
 *   with ZWH-SSH-DISCONNECTED (transient) as soon as the connection errors or closes, or its
 *   SFTP channel closes. ssh2 alone can leave fastPut/fastGet pending forever when the TCP
 *   connection is cut mid-transfer (its cleanup close() on the dead channel never calls back).
 * - Transfers (upload, uploadMany, download) also fail with ZWH-SSH-TIMEOUT after
 *   `inactivityTimeoutMs` without progress (default 120 s); the stalled SFTP channel is dropped.
 */
import { Semaphore } from "../core/concurrency";
import { randomBytes } from "crypto";
import { stat as fsStat } from "fs/promises";
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper, type Stats } from "ssh2";
import { ZwhError } from "../core/errors";
import { makeAuthHandler, prepareAuth, looksExpired } from "./auth";
import { envBlock, exportPrefix } from "./env-block";
import { makeHostKeyCheck } from "./host-verify";
import { shCommand } from "./quote";
import { classifySftpError, classifySshError, passwordExpired, type SshErrorContext } from "./ssh-errors";
import type { TargetSpec } from "./target";

/**
 * fastPut tuning, measured with bench/transfer (200 MB, loopback sim, 2 CPUs): ssh2's default
 * 32 KiB x 64 ran at ~1.1x OpenSSH sftp's time; 64 KiB x 32 (2 MiB in flight, about one SSH
 * channel window) ran at 0.73-0.84x; bigger chunks gained nothing beyond noise. ssh2 splits each
 * chunk into WRITE packets of the server's limit (limits@openssh.com).
 */
export const UPLOAD_CONCURRENCY = 32;
export const UPLOAD_CHUNK_SIZE = 64 * 1024;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 20_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 600_000;
export const DEFAULT_KEEPALIVE_MS = 15_000;
export const DEFAULT_MAX_EXEC_CHANNELS = 2;
/** A transfer with no completed chunk for this long fails with ZWH-SSH-TIMEOUT. */
export const DEFAULT_TRANSFER_INACTIVITY_MS = 120_000;

export type ExecCommand = readonly string[] | { script: string };

export interface ExecOptions {
  /** Kill the channel after this long (ZWH-SSH-TIMEOUT). Default spec.commandTimeoutMs or 10 min. */
  timeoutMs?: number;
  /** Text written to the command's stdin (sent as ISO8859-1; z/OS converts it to EBCDIC). */
  stdinText?: string;
  /** Extra variables for this command only, exported after the env block. */
  env?: Record<string, string>;
  /** What this command is for, used in error messages ("probe", "pip install"). */
  label?: string;
  /** Python interpreters the command starts by itself (a helper's children), for the transport's counters. */
  childPythonStarts?: number;
}

export interface ExecResult {
  /** Exit status; -1 if the command ended by a signal. */
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface UploadProgress {
  transferred: number;
  total: number;
}

export interface UploadOptions {
  onProgress?: (p: UploadProgress) => void;
  /** File mode for a newly created file, e.g. 0o644. */
  mode?: number;
  concurrency?: number;
  chunkSize?: number;
  /** No progress for this long → ZWH-SSH-TIMEOUT (default DEFAULT_TRANSFER_INACTIVITY_MS; 0 = off). */
  inactivityTimeoutMs?: number;
}

export interface UploadManyOptions {
  concurrency?: number;
  onProgress?: (p: UploadManyProgress) => void;
  /** Per file: no progress for this long → ZWH-SSH-TIMEOUT. */
  inactivityTimeoutMs?: number;
}

export interface UploadManyFile {
  localPath: string;
  remotePath: string;
}

export interface UploadManyProgress {
  file: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface RemoteStat {
  size: number;
  mode: number;
  mtime: number;
  uid: number;
  gid: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymbolicLink: boolean;
}

export interface ConnectOptions {
  /** Exec channels open at once on this connection (default 2; the SFTP channel is separate). */
  maxExecChannels?: number;
  /** ssh2 debug lines (protocol trace; contains no secrets but is verbose). */
  debug?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface RemoteSession {
  readonly spec: TargetSpec;
  /** SHA256 fingerprint of the host key the server presented (and we verified). */
  readonly hostKeyFingerprint: string;
  /** The authentication method that succeeded. */
  readonly authMethod: string;
  readonly closed: boolean;
  /** The prefix put in front of every command (for logs and tests). */
  readonly envPrefix: string;
  exec(cmd: ExecCommand, opts?: ExecOptions): Promise<ExecResult>;
  /** exec, throwing ZWH-REMOTE-COMMAND (with stderr) on non-zero exit. */
  execChecked(cmd: ExecCommand, opts?: ExecOptions): Promise<ExecResult>;
  upload(localPath: string, remotePath: string, opts?: UploadOptions): Promise<void>;
  uploadMany(files: UploadManyFile[], opts?: UploadManyOptions): Promise<void>;
  download(remotePath: string, localPath: string, opts?: { inactivityTimeoutMs?: number }): Promise<void>;
  readFile(remotePath: string): Promise<Buffer>;
  writeFile(remotePath: string, data: Buffer | string, opts?: { mode?: number }): Promise<void>;
  /** stat (follows symlinks); ZWH-SFTP-NOT-FOUND if missing. */
  stat(remotePath: string): Promise<RemoteStat>;
  /** stat, or undefined when the path does not exist. */
  exists(remotePath: string): Promise<RemoteStat | undefined>;
  mkdirp(remotePath: string, mode?: number): Promise<void>;
  /** Rename; with overwrite (default true) uses posix-rename@openssh.com, i.e. rename(2). */
  rename(from: string, to: string, opts?: { overwrite?: boolean }): Promise<void>;
  unlink(remotePath: string): Promise<void>;
  realpath(remotePath: string): Promise<string>;
  /** The login directory (SFTP's initial directory). */
  homeDir(): Promise<string>;
  close(): Promise<void>;
}

/** What a command is for, in messages: opts.label, else argv[0], else "script". */
function labelOf(cmd: ExecCommand, opts: ExecOptions): string {
  return opts.label ?? (Array.isArray(cmd) ? String((cmd as readonly string[])[0]) : "script");
}

/** Size of a local file to upload; ZWH-LOCAL-READ when it cannot be read. */
async function localSize(localPath: string): Promise<number> {
  try {
    return (await fsStat(localPath)).size;
  } catch (e) {
    throw new ZwhError("ZWH-LOCAL-READ", `cannot read local file ${localPath}: ${(e as Error).message}`, { subject: localPath, cause: e });
  }
}

function toStat(s: Stats): RemoteStat {
  return {
    size: s.size, mode: s.mode, mtime: s.mtime, uid: s.uid, gid: s.gid,
    isFile: s.isFile(), isDirectory: s.isDirectory(), isSymbolicLink: s.isSymbolicLink(),
  };
}

/** Open one verified, authenticated connection to the target. */
export async function connectTarget(spec: TargetSpec, opts: ConnectOptions = {}): Promise<RemoteSession> {
  if (spec.transport === "zosmf") {
    // Loaded only when used: the Zowe SDKs are large and an SSH run never needs them.
    const { connectZosmf } = await import("./zosmf/session");
    return connectZosmf(spec);
  }
  const ctx: SshErrorContext = { host: spec.host, port: spec.port, operation: "connect", methodsTried: [] };
  const hostCheck = makeHostKeyCheck(spec);
  const prep = prepareAuth(spec, opts.env ?? process.env);
  const client = new Client();
  let expired = false;
  const tried = ctx.methodsTried!;

  const config: ConnectConfig = {
    host: spec.host,
    port: spec.port,
    username: spec.user,
    readyTimeout: spec.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    keepaliveInterval: spec.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
    keepaliveCountMax: 4,
    hostVerifier: (key: Buffer) => hostCheck.verify(key),
    authHandler: makeAuthHandler(spec.user, prep, tried, () => {
      expired = true;
    }) as ConnectConfig["authHandler"],
    debug: opts.debug,
  };
  if (hostCheck.serverHostKeyAlgorithms) {
    config.algorithms = { serverHostKey: hostCheck.serverHostKeyAlgorithms as NonNullable<ConnectConfig["algorithms"]>["serverHostKey"] };
  }

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      client.removeAllListeners("ready");
      client.end();
      const refused = hostCheck.refusal();
      if (refused) return reject(refused);
      if (expired) return reject(passwordExpired(ctx, e));
      reject(classifySshError(e, ctx));
    };
    client.once("ready", () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    client.on("error", fail);
    client.once("close", () => fail(Object.assign(new Error("Connection lost before the SSH session was ready"), { code: "ECONNRESET" })));
    client.on("change password", () => {
      expired = true;
      fail(new Error("FOTS1668 password expired"));
    });
    try {
      client.connect(config);
    } catch (e) {
      fail(e);
    }
  });

  client.removeAllListeners("error");
  client.removeAllListeners("close");
  return new Session(spec, client, hostCheck.presentedFingerprint() ?? "", tried[tried.length - 1] ?? "none", opts);
}

/** An operation in flight; rejected with ZWH-SSH-DISCONNECTED when what it runs on goes away. */
interface Pending {
  /** The SFTP channel it runs on (undefined: the connection itself, e.g. exec). */
  channel?: SFTPWrapper;
  abort(channelOnly: boolean): void;
}

class Session implements RemoteSession {
  readonly envPrefix: string;
  private isClosed = false;
  private lost: ZwhError | undefined;
  private sftpP: Promise<SFTPWrapper> | undefined;
  private sftpChannel: SFTPWrapper | undefined;
  private readonly pending = new Set<Pending>();
  private readonly execSlots: Semaphore;
  private home: string | undefined;

  constructor(
    readonly spec: TargetSpec,
    private readonly client: Client,
    readonly hostKeyFingerprint: string,
    readonly authMethod: string,
    opts: ConnectOptions,
  ) {
    this.envPrefix = envBlock({ pythonPath: spec.pythonPath, extraEnv: spec.extraEnv });
    this.execSlots = new Semaphore(opts.maxExecChannels ?? DEFAULT_MAX_EXEC_CHANNELS);
    client.on("error", (e) => {
      this.lost = classifySshError(e, this.ctx("connection"));
      this.abortPending();
    });
    client.on("close", () => {
      this.isClosed = true;
      this.sftpP = undefined;
      this.sftpChannel = undefined;
      this.abortPending();
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private ctx(operation: string): SshErrorContext {
    return { host: this.spec.host, port: this.spec.port, operation };
  }

  /** The error for an operation cut short by the loss of the connection (or of its SFTP channel). */
  private disconnected(operation: string, channelOnly = false): ZwhError {
    const at = `${this.spec.host}:${this.spec.port}`;
    const why = channelOnly ? "its SFTP channel was closed" : this.lost ? this.lost.message : "the connection is closed";
    return new ZwhError("ZWH-SSH-DISCONNECTED", `${operation} on ${at} failed: ${why}`, {
      subject: at, transient: true, cause: channelOnly ? undefined : this.lost,
      details: { host: this.spec.host, port: this.spec.port, operation, ...(this.lost ? { lost: this.lost.code } : {}) },
      hint: "The SSH connection dropped (network, sshd restart, keepalive timeout); reconnect and retry.",
    });
  }

  private checkOpen(operation: string): void {
    if (this.isClosed) throw this.disconnected(operation);
  }

  private fail(e: unknown, operation: string, path?: string): ZwhError {
    if (this.isClosed) return this.disconnected(`${operation}${path ? " " + path : ""}`);
    const ctx = this.ctx(operation);
    return classifySftpError(e, ctx, path) ?? classifySshError(e, ctx);
  }

  /** Reject every pending operation (on `channel` only, when given). */
  private abortPending(channel?: SFTPWrapper): void {
    for (const p of [...this.pending]) {
      if (channel && p.channel !== channel) continue;
      p.abort(channel !== undefined);
    }
  }

  /**
   * Run `executor` as a pending operation: it settles as the executor says, or with
   * ZWH-SSH-DISCONNECTED as soon as the connection (or `channel`) goes away, whichever is first.
   * `cleanup` runs once, when it settles.
   */
  private track<T>(
    operation: string,
    channel: SFTPWrapper | undefined,
    executor: (resolve: (v: T) => void, reject: (e: unknown) => void) => void,
    cleanup?: () => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const entry: Pending = { channel, abort: (channelOnly) => fin(() => reject(this.disconnected(operation, channelOnly))) };
      const fin = (f: () => void): void => {
        if (done) return;
        done = true;
        this.pending.delete(entry);
        cleanup?.();
        f();
      };
      if (this.isClosed || (channel && channel !== this.sftpChannel)) return entry.abort(!this.isClosed);
      this.pending.add(entry);
      try {
        executor((v) => fin(() => resolve(v)), (e) => fin(() => reject(e)));
      } catch (e) {
        fin(() => reject(this.fail(e, operation)));
      }
    });
  }

  /** The full command string sent to the remote shell. */
  commandString(cmd: ExecCommand, env?: Record<string, string>): string {
    const body = Array.isArray(cmd) ? shCommand(cmd as readonly string[]) : (cmd as { script: string }).script;
    if (typeof body !== "string" || body.trim() === "") throw new ZwhError("ZWH-QUOTE-EMPTY", "empty remote command");
    return this.envPrefix + exportPrefix(env ?? {}) + body;
  }

  async exec(cmd: ExecCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    this.checkOpen("exec");
    const command = this.commandString(cmd, opts.env);
    const label = labelOf(cmd, opts);
    const timeoutMs = opts.timeoutMs ?? this.spec.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return this.execSlots.run(() => {
      let timer: NodeJS.Timeout | undefined;
      return this.track<ExecResult>(
        `exec ${label}`,
        undefined,
        (resolve, reject) => {
          this.client.exec(command, (err, stream: ClientChannel) => {
            if (err) return reject(this.fail(err, `exec ${label}`));
            const out: Buffer[] = [];
            const errb: Buffer[] = [];
            let code: number | null = null;
            let signal: string | undefined;
            let done = false;
            timer =
              timeoutMs > 0
                ? setTimeout(() => {
                    if (done) return;
                    done = true;
                    try {
                      stream.signal("KILL");
                    } catch {
                      /* not all servers support signals */
                    }
                    stream.close();
                    reject(
                      new ZwhError("ZWH-SSH-TIMEOUT", `remote command '${label}' on ${this.spec.host}:${this.spec.port} did not finish within ${timeoutMs} ms; its channel was closed`, {
                        subject: `${this.spec.host}:${this.spec.port}`,
                        transient: true,
                        details: { host: this.spec.host, port: this.spec.port, timeoutMs, label },
                        hint: "Raise --command-timeout for slow operations; the remote process may still be running until it notices the closed channel.",
                      }),
                    );
                  }, timeoutMs)
                : undefined;
            stream.on("data", (d: Buffer) => out.push(d));
            stream.stderr.on("data", (d: Buffer) => errb.push(d));
            stream.on("exit", (c: number | null, sig?: string) => {
              code = c;
              if (sig) signal = sig;
            });
            stream.on("close", () => {
              if (timer) clearTimeout(timer);
              if (done) return;
              done = true;
              if (this.isClosed && code === null) {
                return reject(this.fail(new Error("connection closed"), `exec ${label}`));
              }
              const res: ExecResult = {
                code: code ?? -1,
                stdout: Buffer.concat(out).toString("latin1"),
                stderr: Buffer.concat(errb).toString("latin1"),
              };
              if (signal) res.signal = signal;
              if (res.code !== 0 && looksExpired(res.stderr)) return reject(passwordExpired(this.ctx("exec")));
              resolve(res);
            });
            if (opts.stdinText !== undefined) stream.end(Buffer.from(opts.stdinText, "latin1"));
            else stream.end();
          });
        },
        () => {
          if (timer) clearTimeout(timer);
        },
      );
    });
  }

  async execChecked(cmd: ExecCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(cmd, opts);
    if (r.code !== 0) {
      const label = labelOf(cmd, opts);
      const tail = r.stderr.trim().split("\n").slice(-5).join("\n");
      throw new ZwhError("ZWH-REMOTE-COMMAND", `remote command '${label}' failed on ${this.spec.host}:${this.spec.port} with exit code ${r.code}${r.signal ? ` (signal ${r.signal})` : ""}${tail ? `: ${tail}` : ""}`, {
        subject: `${this.spec.host}:${this.spec.port}`,
        details: { host: this.spec.host, port: this.spec.port, label, exitCode: r.code, signal: r.signal, stderr: r.stderr.slice(-4000), stdout: r.stdout.slice(-2000) },
      });
    }
    return r;
  }

  private sftp(): Promise<SFTPWrapper> {
    this.checkOpen("sftp");
    if (!this.sftpP) {
      const p = this.track<SFTPWrapper>("open sftp channel", undefined, (resolve, reject) => {
        this.client.sftp((err, sftp) => {
          if (err) return reject(this.fail(err, "open sftp channel"));
          sftp.on("close", () => {
            if (this.sftpChannel === sftp) {
              this.sftpChannel = undefined;
              this.sftpP = undefined;
            }
            this.abortPending(sftp);
          });
          if (this.sftpP === p) this.sftpChannel = sftp;
          resolve(sftp);
        });
      });
      p.catch(() => {
        if (this.sftpP === p) this.sftpP = undefined;
      });
      this.sftpP = p;
    }
    return this.sftpP;
  }

  /** Stop using an SFTP channel (a stalled transfer): pending requests on it are rejected, it is closed. */
  private dropSftp(s: SFTPWrapper): void {
    if (this.sftpChannel === s) {
      this.sftpChannel = undefined;
      this.sftpP = undefined;
    }
    this.abortPending(s);
    try {
      s.end();
    } catch {
      /* already closing */
    }
  }

  private async sftpOp<T>(operation: string, path: string, fn: (s: SFTPWrapper, cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
    const s = await this.sftp();
    return this.track<T>(`${operation} ${path}`, s, (resolve, reject) => {
      fn(s, (err, v) => (err ? reject(this.fail(err, operation, path)) : resolve(v as T)));
    });
  }

  /**
   * A fastPut/fastGet with an inactivity timeout: `progress` must be called on every completed
   * chunk; no call for `inactivityMs` → ZWH-SSH-TIMEOUT and the SFTP channel is dropped.
   */
  private async transfer(
    kind: "upload" | "download",
    path: string,
    inactivityMs: number | undefined,
    start: (s: SFTPWrapper, progress: () => void, cb: (err?: Error | null) => void) => void,
  ): Promise<void> {
    const s = await this.sftp();
    const limit = inactivityMs ?? DEFAULT_TRANSFER_INACTIVITY_MS;
    let timer: NodeJS.Timeout | undefined;
    return this.track<void>(
      `${kind} ${path}`,
      s,
      (resolve, reject) => {
        if (limit > 0) {
          timer = setTimeout(() => {
            const at = `${this.spec.host}:${this.spec.port}`;
            reject(
              new ZwhError("ZWH-SSH-TIMEOUT", `${kind} of ${path} on ${at} made no progress for ${limit} ms; the transfer was abandoned`, {
                subject: at, transient: true,
                details: { host: this.spec.host, port: this.spec.port, path, inactivityTimeoutMs: limit },
                hint: "The connection or the target's SFTP server stalled. Retry; on a slow link raise the inactivity timeout.",
              }),
            );
            this.dropSftp(s);
          }, limit);
        }
        start(s, () => timer?.refresh(), (err) => (err ? reject(this.fail(err, kind, path)) : resolve()));
      },
      () => {
        if (timer) clearTimeout(timer);
      },
    );
  }

  async upload(localPath: string, remotePath: string, opts: UploadOptions = {}): Promise<void> {
    await this.put(localPath, remotePath, await localSize(localPath), opts);
  }

  /** fastPut of a local file whose size (`total`, for progress) is known. */
  private async put(localPath: string, remotePath: string, total: number, opts: UploadOptions): Promise<void> {
    await this.transfer("upload", remotePath, opts.inactivityTimeoutMs, (s, progress, cb) =>
      s.fastPut(
        localPath,
        remotePath,
        {
          concurrency: opts.concurrency ?? UPLOAD_CONCURRENCY,
          chunkSize: opts.chunkSize ?? UPLOAD_CHUNK_SIZE,
          mode: opts.mode,
          step: (transferred: number) => {
            progress();
            opts.onProgress?.({ transferred, total });
          },
        },
        (err) => cb(err),
      ),
    );
  }

  async uploadMany(files: UploadManyFile[], opts: UploadManyOptions = {}): Promise<void> {
    const sizes = await Promise.all(files.map((f) => localSize(f.localPath)));
    const bytesTotal = sizes.reduce((a, b) => a + b, 0);
    const perFile = new Array<number>(files.length).fill(0);
    let filesDone = 0;
    let next = 0;
    let failed = false;
    const report = (file: string): void => {
      opts.onProgress?.({ file, filesDone, filesTotal: files.length, bytesDone: perFile.reduce((a, b) => a + b, 0), bytesTotal });
    };
    const worker = async (): Promise<void> => {
      // After the first failure the other workers finish their file but start no new one.
      while (next < files.length && !failed) {
        const i = next++;
        const f = files[i];
        try {
          // Split the per-connection request budget among the parallel files.
          await this.put(f.localPath, f.remotePath, sizes[i], {
            concurrency: Math.max(8, Math.floor(UPLOAD_CONCURRENCY / (opts.concurrency ?? 2))),
            inactivityTimeoutMs: opts.inactivityTimeoutMs,
            onProgress: (p) => {
              perFile[i] = p.transferred;
              report(f.remotePath);
            },
          });
        } catch (e) {
          failed = true;
          throw e;
        }
        perFile[i] = sizes[i];
        filesDone++;
        report(f.remotePath);
      }
    };
    const n = Math.max(1, Math.min(opts.concurrency ?? 2, files.length));
    await Promise.all(Array.from({ length: n }, worker));
  }

  async download(remotePath: string, localPath: string, opts: { inactivityTimeoutMs?: number } = {}): Promise<void> {
    await this.transfer("download", remotePath, opts.inactivityTimeoutMs, (s, progress, cb) =>
      s.fastGet(remotePath, localPath, { concurrency: 64, chunkSize: 32768, step: () => progress() }, (err) => cb(err)),
    );
  }

  readFile(remotePath: string): Promise<Buffer> {
    return this.sftpOp<Buffer>("read", remotePath, (s, cb) => s.readFile(remotePath, (err, data) => cb(err, data)));
  }

  writeFile(remotePath: string, data: Buffer | string, opts: { mode?: number } = {}): Promise<void> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data, "utf8");
    return this.sftpOp<void>("write", remotePath, (s, cb) =>
      s.writeFile(remotePath, buf, opts.mode !== undefined ? { mode: opts.mode } : {}, (err) => cb(err)),
    );
  }

  async stat(remotePath: string): Promise<RemoteStat> {
    const st = await this.sftpOp<Stats>("stat", remotePath, (s, cb) => s.stat(remotePath, (err, v) => cb(err, v)));
    return toStat(st);
  }

  async exists(remotePath: string): Promise<RemoteStat | undefined> {
    try {
      return await this.stat(remotePath);
    } catch (e) {
      if (e instanceof ZwhError && e.code === "ZWH-SFTP-NOT-FOUND") return undefined;
      throw e;
    }
  }

  async mkdirp(remotePath: string, mode?: number): Promise<void> {
    const abs = remotePath.startsWith("/") ? remotePath : `${await this.homeDir()}/${remotePath}`;
    const parts = abs.split("/").filter((p) => p !== "");
    let cur = "";
    const missing: string[] = [];
    // Find the deepest existing ancestor first (cheap on deep, mostly-existing trees).
    for (let i = parts.length; i >= 0; i--) {
      cur = "/" + parts.slice(0, i).join("/");
      const st = await this.exists(cur);
      if (st) {
        if (!st.isDirectory) {
          throw new ZwhError("ZWH-SFTP-FAILURE", `${cur} exists on ${this.spec.host}:${this.spec.port} and is not a directory`, { subject: cur });
        }
        break;
      }
      missing.unshift(cur);
    }
    for (const dir of missing) {
      try {
        await this.sftpOp<void>("mkdir", dir, (s, cb) => s.mkdir(dir, mode !== undefined ? { mode } : {}, (err) => cb(err)));
      } catch (e) {
        // Lost a race with another creator: fine if it is a directory now.
        const st = await this.exists(dir);
        if (!st?.isDirectory) throw e;
      }
    }
  }

  async rename(from: string, to: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    const overwrite = opts.overwrite ?? true;
    const s = await this.sftp();
    await this.track<void>(`rename ${from}`, s, (resolve, reject) => {
      const cb = (err: Error | null | undefined): void => (err ? reject(this.fail(err, "rename", `${from} -> ${to}`)) : resolve());
      if (overwrite) {
        try {
          s.ext_openssh_rename(from, to, cb);
          return;
        } catch {
          /* server without posix-rename: fall back to SFTP rename (fails if `to` exists) */
        }
      }
      s.rename(from, to, cb);
    });
  }

  unlink(remotePath: string): Promise<void> {
    return this.sftpOp<void>("unlink", remotePath, (s, cb) => s.unlink(remotePath, (err) => cb(err)));
  }

  realpath(remotePath: string): Promise<string> {
    return this.sftpOp<string>("realpath", remotePath, (s, cb) => s.realpath(remotePath, (err, p) => cb(err, p)));
  }

  async homeDir(): Promise<string> {
    if (this.home === undefined) this.home = await this.realpath(".");
    return this.home;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.client.destroy();
        resolve();
      }, 5000);
      this.client.once("close", () => {
        clearTimeout(t);
        resolve();
      });
      this.client.end();
    });
    this.isClosed = true;
  }
}

export { tempSuffix } from "./temp-name";
