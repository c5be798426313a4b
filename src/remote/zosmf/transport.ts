/**
 * The z/OSMF implementation of Transport (transport.ts): a ZosmfSession (REST files, BPXBATCH
 * jobs) behind the same batching, helper, tag and counting logic as SSH (ssh-transport.ts works
 * on any RemoteSession). Over z/OSMF one exec or batch is one job, one file request one REST
 * call; `stats` counts them the same way.
 */
import type { ExecCommand, ExecOptions, ExecResult, RemoteStat, UploadManyFile, UploadManyOptions } from "../connection";
import type { ProbeOptions, ProbeResult } from "../probe";
import { SshTransport } from "../ssh-transport";
import type { FileTag } from "../tags";
import type { TargetSpec } from "../target";
import type { BatchCommand, BatchOptions, BatchResult, HelperOptions, HelperRun, TagTarget, Transport, TransportStats } from "../transport";
import { connectZosmf, type ZosmfSession } from "./session";

export class ZosmfTransport implements Transport {
  readonly kind = "zosmf";
  private readonly inner: SshTransport;

  constructor(readonly session: ZosmfSession) {
    this.inner = new SshTransport(session);
  }

  get spec(): TargetSpec {
    return this.session.spec;
  }
  get host(): string {
    return this.inner.host;
  }
  get closed(): boolean {
    return this.session.closed;
  }
  get stats(): TransportStats {
    return this.inner.stats;
  }

  exec(cmd: ExecCommand, opts?: ExecOptions): Promise<ExecResult> {
    return this.inner.exec(cmd, opts);
  }
  execChecked(cmd: ExecCommand, opts?: ExecOptions): Promise<ExecResult> {
    return this.inner.execChecked(cmd, opts);
  }
  batch(cmds: BatchCommand[], opts?: BatchOptions): Promise<BatchResult[]> {
    return this.inner.batch(cmds, opts);
  }
  /** The same argv and counting as SSH (helperArgv); the command runs in the job's script, whose JCL is the one template. */
  runHelper(python: string, helperPath: string, args: string[], opts?: HelperOptions): Promise<HelperRun> {
    return this.inner.runHelper(python, helperPath, args, opts);
  }
  heartbeat(cmd: string[], everyMs: number, opts?: ExecOptions): () => void {
    return this.inner.heartbeat(cmd, everyMs, opts);
  }
  pretag(files: TagTarget[]): Promise<void> {
    return this.inner.pretag(files);
  }
  readTags(paths: string[]): Promise<Map<string, FileTag | undefined>> {
    return this.inner.readTags(paths);
  }
  putFiles(files: UploadManyFile[], opts?: UploadManyOptions): Promise<void> {
    return this.inner.putFiles(files, opts);
  }
  writeFile(path: string, data: Buffer | string, opts?: { mode?: number }): Promise<void> {
    return this.inner.writeFile(path, data, opts);
  }
  readFile(path: string): Promise<Buffer> {
    return this.inner.readFile(path);
  }
  exists(path: string): Promise<RemoteStat | undefined> {
    return this.inner.exists(path);
  }
  mkdirp(path: string, mode?: number): Promise<void> {
    return this.inner.mkdirp(path, mode);
  }
  rename(from: string, to: string, opts?: { overwrite?: boolean }): Promise<void> {
    return this.inner.rename(from, to, opts);
  }
  unlink(path: string): Promise<void> {
    return this.inner.unlink(path);
  }
  probe(opts?: ProbeOptions): Promise<ProbeResult> {
    return this.inner.probe(opts);
  }
  close(): Promise<void> {
    return this.session.close();
  }
}

/** Open the z/OSMF transport (TLS, credentials and JES checked; see connectZosmf). */
export async function openZosmfTransport(spec: TargetSpec): Promise<ZosmfTransport> {
  return new ZosmfTransport(await connectZosmf(spec));
}
