/**
 * observe: what the planner needs from the target, in as few round trips as possible.
 * helpers present? (parallel file stats) → one zwh_deploy.py observe exec → probe facts from the
 * cache in <root>/.wheelhouse/target-env.json when the interpreter fingerprint is unchanged, or
 * from the session user's $HOME/.wheelhouse/host-env-<interpreter>.json (a probe for another
 * root on the same host), else a full probe (Transport.probe) whose result is cached in both.
 *
 * Reads: current/previous links, releases and their receipts, the wheel store (for the wanted
 * wheels), the lock, the trust file's digest, the probe cache, the interpreter fingerprint.
 * Writes: only the helpers when missing (content-addressed, tagged) and the probe caches when
 * a probe ran. Never the releases, the links or the lock.
 */
import type { ObservedState, PlanWheel } from "../core/plan";
import type { ProbeResult } from "../remote/probe";
import { posix } from "node:path";
import { tempName, type TargetOps } from "./target-ops";

export interface ObservedReceipt {
  releaseId?: string;
  bundleId?: string;
  channel?: string;
  sequence?: number;
  statementDigest?: string;
  complete?: boolean;
  createdAt?: string;
  activatedAt?: string;
  runId?: string;
  installed?: Array<{ name: string; version: string; sha256?: string }>;
  bootstrap?: Array<{ name: string; version: string }>;
}

export interface RawObservation {
  rootExists: boolean;
  /** uname -n of the LPAR (null when the helper could not tell). */
  nodename?: string | null;
  python: Record<string, unknown>;
  current: { target: string | null; kind: string; release: string | null };
  previous: { target: string | null; kind: string; release: string | null };
  releases: Array<{ id: string; mtime: number | null; receipt: ObservedReceipt | null }>;
  store: { present: string[]; missing: string[] };
  lock: { held: boolean; owner: Record<string, unknown> | null; stale: boolean; incomplete: boolean };
  trust: { path: string; present: boolean; sha256: string | null };
  envCache: { fingerprint?: unknown; probe?: ProbeResult } | null;
  /** The session user's probe cache for this interpreter ($HOME/.wheelhouse/host-env-*.json), any root. */
  hostEnvCache?: { path: string; data: { fingerprint?: unknown; probe?: ProbeResult } | null } | null;
}

export interface Observation {
  raw: RawObservation;
  state: ObservedState;
  helpersUploaded: number;
}

/** readOnly: the caller placed the helpers itself (read-only.ts); nothing is uploaded here. */
export async function observeTarget(ops: TargetOps, wanted: PlanWheel[] = [], opts: { readOnly?: boolean } = {}): Promise<Observation> {
  const helpersUploaded = opts.readOnly ? 0 : await ops.ensureHelpers();
  const args = ["observe", "--zwh-target", ops.helpers["zwh_target.py"].remotePath, "--root", ops.layout.root];
  for (const w of wanted) args.push("--wheel", `${w.sha256}:${w.size}:${w.filename}`);
  const r = await ops.helper("zwh_deploy.py", args, { allow: [0], label: "observe" });
  const raw = r.json as unknown as RawObservation;
  const state: ObservedState = {
    rootExists: raw.rootExists,
    current: raw.current.release,
    currentKind: raw.current.kind,
    previous: raw.previous.release,
    releases: raw.releases.map((x) => ({
      id: x.id,
      complete: x.receipt?.complete === true,
      ...(x.receipt?.statementDigest ? { statementDigest: x.receipt.statementDigest } : {}),
    })),
    storePresent: raw.store.present,
    lock: { held: raw.lock.held, stale: raw.lock.stale, owner: raw.lock.owner },
    trustPresent: raw.trust.present,
  };
  return { raw, state, helpersUploaded };
}

/** The LPAR's nodename as observed (the helper's, else the cached probe's). */
export function observedNodename(raw: RawObservation): string | undefined {
  return raw.nodename ?? raw.envCache?.probe?.uname?.nodename ?? undefined;
}

function fingerprint(py: Record<string, unknown>): string {
  return JSON.stringify([py.executable, py.realpath, py.version, py.size, py.mtime, py.platform]);
}

/**
 * Probe facts: cached per interpreter fingerprint in the root, else in the session user's host
 * cache (written by a probe for another root), else a full probe, then cached in both. Facts
 * from the host cache describe another root's file system: free space is left unknown there.
 */
export async function targetFacts(ops: TargetOps, obs: Observation, onStep?: (t: string) => void, opts: { readOnly?: boolean } = {}): Promise<{ probe: ProbeResult; cached: boolean }> {
  const fp = fingerprint(obs.raw.python);
  const valid = (c: { fingerprint?: unknown; probe?: ProbeResult } | null | undefined): c is { probe: ProbeResult } =>
    !!c && c.fingerprint === fp && !!c.probe && typeof c.probe === "object";
  const c = obs.raw.envCache;
  if (valid(c)) return { probe: c.probe, cached: true };
  const hc = obs.raw.hostEnvCache;
  if (valid(hc?.data)) {
    const root = ops.layout.root;
    return { probe: { ...hc.data.probe, root: { path: root, given: true, exists: obs.raw.rootExists, measuredAt: root, freeBytes: null, totalBytes: null, writable: null } }, cached: true };
  }
  const probe = await ops.session.probe({ root: ops.layout.root, pythonPath: ops.python, onStep });
  // Read-only callers (fleet plan) use the fresh probe without caching it on the target.
  if (opts.readOnly) return { probe, cached: false };
  const data = JSON.stringify({ fingerprint: fp, probe }) + "\n";
  const files = [ops.layout.envCache, ...(hc?.path ? [hc.path] : [])].map((path) => ({ path, tmp: tempName(path) }));
  await Promise.all(files.map((f) => ops.session.mkdirp(posix.dirname(f.path), 0o755)));
  await ops.writeTagged(files.map((f) => ({ path: f.tmp, data, kind: "text" as const })));
  await Promise.all(files.map((f) => ops.session.rename(f.tmp, f.path, { overwrite: true })));
  return { probe, cached: false };
}
