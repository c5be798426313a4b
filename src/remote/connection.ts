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
 */
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
  uploadMany(files: UploadManyFile[], opts?: { concurrency?: number; onProgress?: (p: UploadManyProgress) => void }): Promise<void>;
  download(remotePath: string, localPath: string): Promise<void>;
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

class Semaphore {
  private active = 0;
  private waiters: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiters.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiters.shift()?.();
    }
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

class Session implements RemoteSession {
  readonly envPrefix: string;
  private isClosed = false;
  private lost: ZwhError | undefined;
  private sftpP: Promise<SFTPWrapper> | undefined;
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
    });
    client.on("close", () => {
      this.isClosed = true;
      this.sftpP = undefined;
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private ctx(operation: string): SshErrorContext {
    return { host: this.spec.host, port: this.spec.port, operation };
  }

  private checkOpen(operation: string): void {
    if (this.isClosed) {
      throw this.lost ?? new ZwhError("ZWH-SSH-DISCONNECTED", `the connection to ${this.spec.host}:${this.spec.port} is closed (${operation})`, {
        subject: `${this.spec.host}:${this.spec.port}`, transient: true,
        hint: "Reconnect and retry.",
      });
    }
  }

  private fail(e: unknown, operation: string, path?: string): ZwhError {
    if (this.isClosed && this.lost) return this.lost;
    const ctx = this.ctx(operation);
    if (this.isClosed && !(e instanceof ZwhError)) {
      return classifySshError(Object.assign(new Error(`connection lost during ${operation}`), { code: "ECONNRESET" }), ctx);
    }
    return classifySftpError(e, ctx, path) ?? classifySshError(e, ctx);
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
    const label = opts.label ?? (Array.isArray(cmd) ? String((cmd as readonly string[])[0]) : "script");
    const timeoutMs = opts.timeoutMs ?? this.spec.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return this.execSlots.run(
      () =>
        new Promise<ExecResult>((resolve, reject) => {
          this.client.exec(command, (err, stream: ClientChannel) => {
            if (err) return reject(this.fail(err, `exec ${label}`));
            const out: Buffer[] = [];
            const errb: Buffer[] = [];
            let code: number | null = null;
            let signal: string | undefined;
            let done = false;
            const timer =
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
        }),
    );
  }

  async execChecked(cmd: ExecCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(cmd, opts);
    if (r.code !== 0) {
      const label = opts.label ?? (Array.isArray(cmd) ? String((cmd as readonly string[])[0]) : "script");
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
      const p = new Promise<SFTPWrapper>((resolve, reject) => {
        this.client.sftp((err, sftp) => {
          if (err) return reject(this.fail(err, "open sftp channel"));
          sftp.on("close", () => {
            if (this.sftpP === p) this.sftpP = undefined;
          });
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

  private async sftpOp<T>(operation: string, path: string, fn: (s: SFTPWrapper, cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
    const s = await this.sftp();
    return new Promise<T>((resolve, reject) => {
      fn(s, (err, v) => (err ? reject(this.fail(err, operation, path)) : resolve(v as T)));
    });
  }

  async upload(localPath: string, remotePath: string, opts: UploadOptions = {}): Promise<void> {
    let total: number;
    try {
      total = (await fsStat(localPath)).size;
    } catch (e) {
      throw new ZwhError("ZWH-LOCAL-READ", `cannot read local file ${localPath}: ${(e as Error).message}`, { subject: localPath, cause: e });
    }
    await this.sftpOp<void>("upload", remotePath, (s, cb) =>
      s.fastPut(
        localPath,
        remotePath,
        {
          concurrency: opts.concurrency ?? UPLOAD_CONCURRENCY,
          chunkSize: opts.chunkSize ?? UPLOAD_CHUNK_SIZE,
          mode: opts.mode,
          step: opts.onProgress ? (transferred: number) => opts.onProgress!({ transferred, total }) : undefined,
        },
        (err) => cb(err),
      ),
    );
  }

  async uploadMany(files: UploadManyFile[], opts: { concurrency?: number; onProgress?: (p: UploadManyProgress) => void } = {}): Promise<void> {
    const sizes = await Promise.all(
      files.map(async (f) => {
        try {
          return (await fsStat(f.localPath)).size;
        } catch (e) {
          throw new ZwhError("ZWH-LOCAL-READ", `cannot read local file ${f.localPath}: ${(e as Error).message}`, { subject: f.localPath, cause: e });
        }
      }),
    );
    const bytesTotal = sizes.reduce((a, b) => a + b, 0);
    const perFile = new Array<number>(files.length).fill(0);
    let filesDone = 0;
    let next = 0;
    const report = (file: string): void => {
      opts.onProgress?.({ file, filesDone, filesTotal: files.length, bytesDone: perFile.reduce((a, b) => a + b, 0), bytesTotal });
    };
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const i = next++;
        const f = files[i];
        // Split the per-connection request budget among the parallel files.
        await this.upload(f.localPath, f.remotePath, {
          concurrency: Math.max(8, Math.floor(UPLOAD_CONCURRENCY / (opts.concurrency ?? 2))),
          onProgress: (p) => {
            perFile[i] = p.transferred;
            report(f.remotePath);
          },
        });
        perFile[i] = sizes[i];
        filesDone++;
        report(f.remotePath);
      }
    };
    const n = Math.max(1, Math.min(opts.concurrency ?? 2, files.length));
    await Promise.all(Array.from({ length: n }, worker));
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    await this.sftpOp<void>("download", remotePath, (s, cb) =>
      s.fastGet(remotePath, localPath, { concurrency: 64, chunkSize: 32768 }, (err) => cb(err)),
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
    await new Promise<void>((resolve, reject) => {
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

/** A unique, shell-safe temporary name suffix. */
export function tempSuffix(): string {
  return `${process.pid}-${randomBytes(6).toString("hex")}`;
}
