/**
 * What the deploy pipeline (observe, apply, record's on-target audit) needs from an open session
 * to one target, independent of how it is reached. SSH (ssh-transport.ts) implements it today;
 * z/OSMF (REST files + BPXBATCH jobs) implements the same contract, so observe/apply never see
 * ssh2 or the Zowe SDKs.
 *
 * Rules every implementation keeps (zos-uss.md, supply-chain.md):
 * - every command runs with the z/OS environment block (env-block.ts);
 * - bytes are never carried on a converting channel: files go binary (SFTP, or a binary REST
 *   upload) into files that were tagged first (`pretag`), then the tags are read back;
 * - `stats` counts round trips and target interpreter starts, so benchmarks can report them.
 */
import type { ExecCommand, ExecOptions, ExecResult, RemoteStat, UploadManyFile, UploadManyOptions } from "./connection";
import type { FileTag } from "./tags";
import type { ProbeOptions, ProbeResult } from "./probe";
import type { TargetSpec } from "./target";
import { ZwhError } from "../core/errors";

export type { ExecCommand, ExecOptions, ExecResult, RemoteStat, UploadManyFile, UploadManyOptions } from "./connection";

/** One command of a batch: an argv, optionally with stdin redirected from a target file (`argv < file`). */
export type BatchCommand = string[] | { argv: string[]; stdinFile: string };

/** The result of one command of a batch (stdout only: a batch shares one stderr). */
export interface BatchResult {
  code: number;
  stdout: string;
  /** Not run: an earlier command of a `stopAtFailure` batch failed. */
  skipped?: true;
}

export interface BatchOptions extends ExecOptions {
  /**
   * Run the next command only when this one exited 0 (a check guarding what follows, in one
   * round trip); the commands after a failure come back `skipped`. A number N: only the first N
   * commands guard (a failure of a later one does not stop the rest).
   */
  stopAtFailure?: boolean | number;
}

/** A file to create empty and tag before any byte is written into it. */
export interface TagTarget {
  path: string;
  kind: "text" | "binary";
  mode?: number;
}

/** A target-side helper run: its exit code, its last JSON line (parsed), its raw output. */
export interface HelperRun {
  code: number;
  json: Record<string, unknown> | undefined;
  stdout: string;
  stderr: string;
}

/**
 * Interpreter options a helper run may carry, placed between the interpreter and the helper path
 * (`python -I -S helper.py …`). Only switches that restrict what the interpreter loads are
 * allowed: nothing here can make it run code other than the helper (no -c, -m, -X, -W).
 */
export const PYTHON_FLAGS = ["-I", "-S", "-E", "-s", "-B"] as const;
export type PythonFlag = (typeof PYTHON_FLAGS)[number];

/** Base interpreter, isolated (-I: no user site, no PYTHON* variables, no script dir on sys.path)
 * and without site (-S): a planted .pth or sitecustomize in what is being examined cannot run. */
export const ISOLATED: readonly PythonFlag[] = ["-I", "-S"];

/** Options of one helper run: the exec options plus the interpreter's own switches. */
export interface HelperOptions extends ExecOptions {
  pythonFlags?: readonly PythonFlag[];
}

/**
 * The argv of a helper run: `python [flags] helper args…`. The one place a helper command is
 * built, for runHelper on every transport and for helpers that run inside a batch, so the
 * command (quoted by quote.ts when it is sent) and its interpreter count (python-starts.ts) are
 * the same whichever way it travels.
 */
export function helperArgv(python: string, helperPath: string, args: readonly string[], pythonFlags: readonly string[] = []): string[] {
  for (const f of pythonFlags) {
    if (!(PYTHON_FLAGS as readonly string[]).includes(f)) {
      throw new ZwhError("ZWH-INTERNAL", `interpreter flag ${JSON.stringify(f)} is not one a helper run may carry (${PYTHON_FLAGS.join(" ")})`);
    }
  }
  return [python, ...pythonFlags, helperPath, ...args];
}

/** Round trips and work on the target, counted per session (bench/ reports them). */
export interface TransportStats {
  /** Command round trips: one per exec / job (a batch of N commands is one). */
  execs: number;
  /** Target Python interpreter starts (helpers, venv, pip; pip --python starts a second one). */
  pythonStarts: number;
  /** File-level requests: stat, mkdir, open/write/close of one file, rename, unlink, read. */
  fileOps: number;
}

export function emptyStats(): TransportStats {
  return { execs: 0, pythonStarts: 0, fileOps: 0 };
}

export interface Transport {
  /** "ssh" today; "zosmf" for the REST transport. */
  readonly kind: string;
  readonly spec: TargetSpec;
  /** "host", or "host:port" when the port is not 22 (src/core/host-name.ts addressLabel): the session's endpoint in messages. */
  readonly host: string;
  readonly closed: boolean;
  readonly stats: TransportStats;

  /** Run one command (argv or a script) with the env block. */
  exec(cmd: ExecCommand, opts?: ExecOptions): Promise<ExecResult>;
  /** exec, throwing ZWH-REMOTE-COMMAND (with stderr) on a non-zero exit. */
  execChecked(cmd: ExecCommand, opts?: ExecOptions): Promise<ExecResult>;
  /** Several commands in ONE round trip; each gets its own exit code and stdout. */
  batch(cmds: BatchCommand[], opts?: BatchOptions): Promise<BatchResult[]>;
  /**
   * Run `python [pythonFlags] helper args…` (helperArgv) with the env block and return its JSON
   * (never throws on a non-zero exit). Over SSH one exec, over z/OSMF one BPXBATCH job; both
   * count one round trip and the interpreter starts of the argv.
   */
  runHelper(python: string, helperPath: string, args: string[], opts?: HelperOptions): Promise<HelperRun>;
  /** Renew something periodically while a long step runs (the lock heartbeat); returns stop(). */
  heartbeat(cmd: string[], everyMs: number, opts?: ExecOptions): () => void;

  /** Create the files empty and tag them (binary / ISO8859-1 text) in one round trip. */
  pretag(files: TagTarget[]): Promise<void>;
  /** The tags of the paths as the target reports them (missing paths are absent from the map). */
  readTags(paths: string[]): Promise<Map<string, FileTag | undefined>>;
  /** Binary uploads of local files into (pre-tagged) target files. */
  putFiles(files: UploadManyFile[], opts?: UploadManyOptions): Promise<void>;
  /** Binary write of bytes (overwriting keeps a pre-set tag). */
  writeFile(path: string, data: Buffer | string, opts?: { mode?: number }): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  exists(path: string): Promise<RemoteStat | undefined>;
  mkdirp(path: string, mode?: number): Promise<void>;
  /** rename(2) semantics with overwrite (atomic replace). */
  rename(from: string, to: string, opts?: { overwrite?: boolean }): Promise<void>;
  unlink(path: string): Promise<void>;

  /** The host's facts (`zwh target probe`). */
  probe(opts?: ProbeOptions): Promise<ProbeResult>;
  close(): Promise<void>;
}
