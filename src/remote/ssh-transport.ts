/**
 * The SSH implementation of Transport: one verified ssh2 connection (connection.ts) with its
 * SFTP channel. Batches are one shell script with an end marker per command; tags are set with
 * chtag and read back with ls -T in one exec each. Counts its round trips (TransportStats).
 */
import { addressLabel } from "../core/host-name";
import { ZwhError } from "../core/errors";
import { connectTarget, type ConnectOptions, type ExecCommand, type ExecOptions, type ExecResult, type RemoteSession, type RemoteStat, type UploadManyFile, type UploadManyOptions } from "./connection";
import { parseJsonLine } from "./json-line";
import { pythonStartsOf } from "./python-starts";
import { probeTarget, type ProbeOptions, type ProbeResult } from "./probe";
import { shCommand, shQuote } from "./quote";
import { chunks } from "../core/chunks";
import { chtagCommands, chtagFailed, lsTagArgv, parseTagOutput, type FileTag } from "./tags";
import type { TargetSpec } from "./target";
import { emptyStats, helperArgv, type BatchCommand, type BatchOptions, type BatchResult, type HelperOptions, type HelperRun, type TagTarget, type Transport, type TransportStats } from "./transport";

const MARK = "@@ZWH-END-";

function batchLine(c: BatchCommand): string {
  return Array.isArray(c) ? shCommand(c) : `${shCommand(c.argv)} < ${shQuote(c.stdinFile)}`;
}

export class SshTransport implements Transport {
  readonly kind = "ssh";
  readonly stats: TransportStats = emptyStats();

  constructor(readonly session: RemoteSession) {}

  get spec(): TargetSpec {
    return this.session.spec;
  }

  get host(): string {
    return addressLabel(this.session.spec);
  }

  get closed(): boolean {
    return this.session.closed;
  }

  private countExec(cmd: ExecCommand, opts: ExecOptions = {}): void {
    this.stats.execs++;
    if (Array.isArray(cmd)) this.stats.pythonStarts += pythonStartsOf(cmd as readonly string[]);
    this.stats.pythonStarts += opts.childPythonStarts ?? 0;
  }

  exec(cmd: ExecCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    this.countExec(cmd, opts);
    return this.session.exec(cmd, opts);
  }

  execChecked(cmd: ExecCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    this.countExec(cmd, opts);
    return this.session.execChecked(cmd, opts);
  }

  async batch(cmds: BatchCommand[], opts: BatchOptions = {}): Promise<BatchResult[]> {
    const { stopAtFailure, ...execOpts } = opts;
    // A guarding command that fails ends the script, so no later one runs.
    const guards = (i: number) => stopAtFailure === true || (typeof stopAtFailure === "number" && i < stopAtFailure);
    const stop = (i: number) => (guards(i) ? ` [ "$zwh_rc" -eq 0 ] || exit 0` : "");
    const script = cmds.map((c, i) => `${batchLine(c)}; zwh_rc=$?; echo "${MARK}${i}-$zwh_rc@@";${stop(i)}`).join("\n");
    const starts = cmds.map((c) => pythonStartsOf(Array.isArray(c) ? c : c.argv));
    this.stats.pythonStarts += (execOpts.childPythonStarts ?? 0) + starts.reduce((a, b) => a + b, 0);
    this.stats.execs++;
    const r = await this.session.exec({ script }, { label: execOpts.label ?? "batch", ...execOpts });
    const out: BatchResult[] = [];
    let rest = r.stdout;
    for (let i = 0; i < cmds.length; i++) {
      if (i > 0 && (out[i - 1].skipped || (guards(i - 1) && out[i - 1].code !== 0))) {
        this.stats.pythonStarts -= starts[i];
        out.push({ code: -1, stdout: "", skipped: true });
        continue;
      }
      const re = new RegExp(`${MARK}${i}-(\\d+)@@\\n?`);
      const m = re.exec(rest);
      if (!m) {
        const c = cmds[i];
        throw new ZwhError("ZWH-DEPLOY-BATCH", `batched command ${i + 1}/${cmds.length} (${Array.isArray(c) ? c[0] : c.argv[0]}) on ${this.host} did not finish (exit ${r.code})`, {
          subject: this.host,
          details: { stdout: r.stdout.slice(-2000), stderr: r.stderr.slice(-2000) },
        });
      }
      out.push({ code: Number(m[1]), stdout: rest.slice(0, m.index) });
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }

  async runHelper(python: string, helperPath: string, args: string[], opts: HelperOptions = {}): Promise<HelperRun> {
    const { pythonFlags, ...execOpts } = opts;
    const r = await this.exec(helperArgv(python, helperPath, args, pythonFlags), execOpts);
    return { code: r.code, json: parseJsonLine(r.stdout), stdout: r.stdout, stderr: r.stderr };
  }

  heartbeat(cmd: string[], everyMs: number, opts: ExecOptions = {}): () => void {
    const t = setInterval(() => {
      if (!this.closed) void this.exec(cmd, { label: "heartbeat", ...opts }).catch(() => undefined);
    }, everyMs);
    return () => clearInterval(t);
  }

  async pretag(files: TagTarget[]): Promise<void> {
    if (files.length === 0) return;
    await Promise.all(files.map((f) => this.writeFile(f.path, Buffer.alloc(0), { mode: f.mode ?? 0o644 })));
    const cmds = chtagCommands(files);
    const res = await this.batch(cmds, { label: "chtag" });
    const bad = res.findIndex((r) => r.code !== 0);
    if (bad >= 0) throw chtagFailed(this.host, cmds[bad], res[bad].code);
  }

  async readTags(paths: string[]): Promise<Map<string, FileTag | undefined>> {
    const out = new Map<string, FileTag | undefined>();
    if (paths.length === 0) return out;
    const res = await this.batch(chunks(paths, 200).map((c) => lsTagArgv(c)), { label: "ls -T" });
    for (const line of parseTagOutput(res.map((r) => r.stdout).join("\n"))) out.set(line.rest, line.tag);
    return out;
  }

  putFiles(files: UploadManyFile[], opts: UploadManyOptions = {}): Promise<void> {
    // open + writes + close per file; counted as one request per file.
    this.stats.fileOps += files.length;
    return this.session.uploadMany(files, opts);
  }

  writeFile(path: string, data: Buffer | string, opts: { mode?: number } = {}): Promise<void> {
    this.stats.fileOps++;
    return this.session.writeFile(path, data, opts);
  }

  readFile(path: string): Promise<Buffer> {
    this.stats.fileOps++;
    return this.session.readFile(path);
  }

  exists(path: string): Promise<RemoteStat | undefined> {
    this.stats.fileOps++;
    return this.session.exists(path);
  }

  mkdirp(path: string, mode?: number): Promise<void> {
    this.stats.fileOps++;
    return this.session.mkdirp(path, mode);
  }

  rename(from: string, to: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    this.stats.fileOps++;
    return this.session.rename(from, to, opts);
  }

  unlink(path: string): Promise<void> {
    this.stats.fileOps++;
    return this.session.unlink(path);
  }

  probe(opts: ProbeOptions = {}): Promise<ProbeResult> {
    // The probe talks to the session directly; count what it does through a view of it.
    const count = (name: string | symbol, args: unknown[]): void => {
      if (name === "exec" || name === "execChecked") this.countExec(args[0] as ExecCommand);
      else if (["writeFile", "readFile", "exists", "stat", "mkdirp", "rename", "unlink", "homeDir", "realpath"].includes(String(name))) this.stats.fileOps++;
    };
    const counted = new Proxy(this.session, {
      get(target, name, recv) {
        const v = Reflect.get(target, name, recv) as unknown;
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          count(name, args);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return probeTarget(counted, opts);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** Open a verified SSH session to the target as a Transport. */
export async function openSshTransport(spec: TargetSpec, opts: ConnectOptions = {}): Promise<SshTransport> {
  return new SshTransport(await connectTarget(spec, opts));
}
