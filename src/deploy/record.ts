/**
 * record: the one place a run, its hosts and what happened on them are written to the inventory.
 * Every command that changes or inspects a target goes through a RunRecorder: start the run,
 * record per-host results (a fleet records many hosts in one run), finish the run.
 *
 * The store is reached through RecordStore, the small subset of the inventory service
 * (src/inventory/service.ts, over SQLite or PostgreSQL) this needs. Without a store, runs still get an id (for locks and audit lines) and nothing is written.
 */
import { randomUUID } from "crypto";
import { hostname } from "os";
import { join } from "path";
import type { VerifiedBundle } from "../bundle/verify";
import type { PlanWheel } from "../core/plan";
import { ZwhError } from "../core/errors";
import type { HostInput, InventoryStore, RunHostResult, RunKind, RunResult, SequenceStore } from "../inventory/types";
import { addressLabel, hostIdentity, type HostNameSource } from "../core/host-name";
import type { TargetSpec } from "../remote/target";
import { localUser } from "./target-ops";

/** What the pipeline needs from the inventory. */
export type RecordStore = Pick<
  InventoryStore,
  | "startRun" | "finishRun" | "recordRunHost" | "upsertHost" | "getHost" | "recordBundle" | "recordRelease"
  | "recordInstalled" | "setActiveRelease" | "setReleaseState" | "appendEvent" | "hostStatus"
  | "findHostByAddress"
>;

/** The probe facts a host row keeps. */
export interface HostFacts {
  uname?: { sysname?: string; nodename?: string };
  python?: { path?: string; version?: string };
  compatibleTags?: string[];
}

export function cliVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(join(__dirname, "..", "..", "package.json")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function wheelsOf(v: Pick<VerifiedBundle, "wheels">): PlanWheel[] {
  return v.wheels.map((w) => ({ filename: w.filename, name: w.name, version: w.version, sha256: w.sha256, size: w.size }));
}

/**
 * The logical name of the host `spec` reaches (src/core/host-name.ts): --name or the profile,
 * else the nodename the target reported, else the name the store already knows for this address
 * and port (a host that cannot be reached right now keeps its name), else the address label.
 */
export async function resolveHostName(store: Pick<RecordStore, "findHostByAddress"> | undefined, spec: TargetSpec, nodename?: string | null): Promise<string> {
  const id = hostIdentity(spec, nodename);
  if (id.source !== "address" || !store) return id.name;
  return (await store.findHostByAddress(spec.host, spec.port))?.name ?? id.name;
}

/** The inventory row of a host: its logical name, how it got it, address, port and user as attributes. */
function hostInput(host: string, spec: TargetSpec, facts: HostFacts = {}): HostInput {
  const source: HostNameSource = spec.name === host ? (spec.nameSource ?? "name") : host === addressLabel(spec) ? "address" : "nodename";
  return {
    name: host, nameSource: source, address: spec.host, port: spec.port, sshUser: spec.user, zoweProfile: spec.zoweProfile,
    nodename: facts.uname?.nodename, sysname: facts.uname?.sysname, pythonPath: spec.pythonPath, pythonVersion: facts.python?.version,
    ...(facts.compatibleTags ? { platformTags: facts.compatibleTags.slice(0, 50) } : {}),
  };
}

export class RunRecorder {
  private constructor(
    readonly store: RecordStore | undefined,
    readonly runId: string,
    readonly kind: RunKind,
  ) {}

  /** Start a run (a row in the store when there is one; always a run id). */
  static async start(store: RecordStore | undefined, kind: RunKind, argv?: string[], strategy?: unknown): Promise<RunRecorder> {
    const runId = store ? await store.startRun(kind, { actorLocal: localUser(), controllerHost: hostname(), cliVersion: cliVersion(), argv, ...(strategy !== undefined ? { strategy } : {}) }) : randomUUID();
    return new RunRecorder(store, runId, kind);
  }

  /** Record into a run that already exists (a fleet run resumed after its controller died). */
  static attach(store: RecordStore | undefined, runId: string, kind: RunKind): RunRecorder {
    return new RunRecorder(store, runId, kind);
  }

  get recording(): boolean {
    return !!this.store;
  }

  /** The host's logical name (resolveHostName). */
  hostName(spec: TargetSpec, nodename?: string | null): Promise<string> {
    return resolveHostName(this.store, spec, nodename);
  }

  /** Insert or refresh a host row, with the probe facts when known. */
  async hostFacts(host: string, spec: TargetSpec, probe: HostFacts): Promise<void> {
    if (!this.store) return;
    await this.store.upsertHost(hostInput(host, spec, { ...probe, compatibleTags: probe.compatibleTags ?? [] }));
  }

  /** A minimal host row when the host is new. */
  async ensureHost(host: string, spec: TargetSpec): Promise<void> {
    if (!this.store) return;
    if (!(await this.store.getHost(host))) await this.store.upsertHost(hostInput(host, spec));
  }

  /** A host's outcome in this run (creates a minimal host row when the host is new). */
  async hostResult(host: string, spec: TargetSpec, res: RunHostResult): Promise<void> {
    if (!this.store) return;
    await this.ensureHost(host, spec);
    await this.store.recordRunHost(this.runId, host, res);
  }

  /** A host failed or was refused in this run at `step`. */
  async hostFailed(host: string, spec: TargetSpec, err: ZwhError, step: string, releaseId?: string, root?: string): Promise<void> {
    await this.hostResult(host, spec, { status: err.exitCode === 3 ? "refused" : "failed", releaseId, errorCode: err.code, errorText: err.message, failedStep: step, ...(root ? { root } : {}) });
  }

  async bundle(vb: VerifiedBundle): Promise<void> {
    if (!this.store) return;
    await this.store.recordBundle({
      bundleId: vb.predicate.bundleId, channel: vb.predicate.channel, sequence: vb.predicate.sequence, digestSha256: vb.statementDigest,
      manifest: vb.statement, manifestBytes: vb.statementBytes, signerIdentities: vb.signers, wheels: wheelsOf(vb),
    });
  }

  /** A release that was staged and then failed. Best effort: the original error matters more. */
  async failedRelease(host: string, root: string, releaseId: string, path: string, vb: VerifiedBundle | undefined): Promise<void> {
    if (!this.store) return;
    try {
      if (vb) await this.bundle(vb);
      await this.store.recordRelease({ host, root, releaseId, path, bundleDigest: vb?.statementDigest, state: "failed", runId: this.runId });
    } catch {
      /* keep the original error */
    }
  }

  /** A new or re-activated release is current on host/root; `pruned` releases were removed. */
  async deployed(
    host: string, root: string, vb: VerifiedBundle,
    rel: { releaseId: string; path: string; installed: Array<{ name: string; version: string; sha256?: string }>; pruned: string[] },
  ): Promise<void> {
    const store = this.store;
    if (!store) return;
    await this.bundle(vb);
    let rowId: number | undefined;
    try {
      rowId = await store.recordRelease({ host, root, releaseId: rel.releaseId, path: rel.path, bundleDigest: vb.statementDigest, runId: this.runId });
    } catch (e) {
      // Re-activation of a release the inventory already knows (ids are never reused).
      if (!(e instanceof ZwhError && e.code === "ZWH-STORE-CONFLICT")) throw e;
    }
    const sha = new Map(vb.wheels.map((w) => [w.name, w.sha256]));
    if (rowId !== undefined) {
      await store.recordInstalled(rowId, rel.installed.map((x) => ({ name: x.name, version: x.version, wheelSha256: x.sha256 ?? sha.get(x.name), installer: "pip" })));
    }
    await store.setActiveRelease(host, root, rel.releaseId, this.runId);
    for (const id of rel.pruned) {
      try {
        await store.setReleaseState(host, root, id, "pruned", this.runId);
      } catch {
        /* a release this inventory never saw */
      }
    }
  }

  /** `current` was switched to `releaseId` by a rollback (recorded first if this inventory never saw it). */
  async activated(host: string, root: string, releaseId: string, path: string): Promise<void> {
    const store = this.store;
    if (!store) return;
    try {
      await store.setActiveRelease(host, root, releaseId, this.runId);
    } catch {
      // A release this inventory never recorded (deployed from elsewhere): record it first.
      await store.recordRelease({ host, root, releaseId, path, runId: this.runId });
      await store.setActiveRelease(host, root, releaseId, this.runId);
    }
  }

  async event(type: string, host: string, payload: Record<string, unknown>): Promise<void> {
    if (!this.store) return;
    await this.store.appendEvent({ type, runId: this.runId, host, payload });
  }

  async finish(res: RunResult): Promise<void> {
    if (!this.store) return;
    await this.store.finishRun(this.runId, res);
  }

  /** Finish the run as failed/refused with the error; never throws (the error is what the user sees). */
  async finishFailed(err: ZwhError, step?: string): Promise<void> {
    if (!this.store) return;
    const store = this.store;
    await Promise.resolve()
      .then(() => store.finishRun(this.runId, { status: err.exitCode === 3 ? "refused" : "failed", exitCode: err.exitCode || 1, errorCode: err.code, errorText: err.message, ...(step ? { failedStep: step } : {}) }))
      .catch(() => undefined);
  }
}

/** The inventory's view of a host root (status); empty when the store cannot answer. */
export async function recordedHostStatus(store: RecordStore, host: string, root: string): Promise<{ lastRun: unknown; releases: unknown[] }> {
  try {
    const hs = await store.hostStatus(host, root);
    return { lastRun: hs.lastRun ?? null, releases: hs.releases };
  } catch {
    return { lastRun: null, releases: [] };
  }
}
