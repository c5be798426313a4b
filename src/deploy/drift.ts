/**
 * drift: observe + compare, never apply. Per host: one session over the host's transport (SSH,
 * or z/OSMF where the helper run is one BPXBATCH job) and one helper run (zwh_drift.py under the
 * base interpreter with -I -S, Transport.runHelper's pythonFlags, so nothing in the release runs
 * while it is examined), then a pure comparison (src/core/drift.ts) against the inventory record, the
 * on-target receipt and an optional desired bundle. Hosts run in parallel. Every run and its
 * findings are recorded, so a finding's first sighting and its resolution are tracked.
 */
import { pool } from "../core/concurrency";
import { compareHost, driftExitCode, unknownFinding, type DesiredState, type DriftObservation, type Finding, type RecordedState, type Severity } from "../core/drift";
import { toZwhError, ZwhError } from "../core/errors";
import type { InventoryStore } from "../inventory/types";
import { ISOLATED } from "../remote/transport";
import { parseTagOutput } from "../remote/tags";
import { DEFAULT_PYTHON, hostTitle, type TargetSpec } from "../remote/target";
import { DRIFT_REPORT_VERSION, totalsOf, type DriftReport, type HostDriftSummary } from "../report/drift-model";
import { loadAndVerifyBundle } from "../bundle/verify";
import { loadTrust } from "../bundle/signing/trust";
import { openTransport } from "./connect";
import { checkRoot, layoutFor, releaseIdFor } from "./layout";
import { prepareReadOnly } from "./read-only";
import { RunRecorder } from "./record";
import { TargetOps } from "./target-ops";

export interface DriftTarget {
  /** Logical host name when known (--name, a profile, the inventory); else resolved from the nodename. */
  name?: string;
  spec: TargetSpec;
  root: string;
  /** How remediation commands name this target (e.g. "--host h --port 22 --root /u/wh"). */
  cliTarget: string;
}

export interface DriftOptions {
  targets: DriftTarget[];
  store?: InventoryStore;
  desired?: DesiredState;
  failOn?: Severity;
  /** "zwh" or "zowe wh": remediation commands are written in the words of the CLI in use. */
  cli: string;
  env?: NodeJS.ProcessEnv;
  argv?: string[];
  concurrency?: number;
  progress?: { step<T>(title: string, fn: () => Promise<T>): Promise<T> };
  /** Tool version for SARIF. */
  now?: () => Date;
}

/** The desired state from a bundle directory: its signed statement verified against a trust file. */
export async function desiredFromBundle(dir: string, trustPath: string): Promise<DesiredState> {
  const vb = await loadAndVerifyBundle(dir, { trust: loadTrust(trustPath), statementOnly: true });
  return { bundleId: vb.predicate.bundleId, statementDigest: vb.statementDigest, releaseId: releaseIdFor(vb.predicate.bundleId, vb.statementDigest), source: dir };
}


async function recordedState(store: InventoryStore | undefined, host: string, root: string): Promise<RecordedState | undefined> {
  if (!store) return undefined;
  const h = await store.getHost(host);
  if (!h) return undefined;
  const hs = await store.hostStatus(host, root);
  const a = hs.active;
  if (!a) return undefined;
  const run = a.activatedRunId ? await store.getRun(a.activatedRunId) : undefined;
  return {
    releaseId: a.releaseId,
    ...(a.bundleDigest ? { statementDigest: `sha256:${a.bundleDigest.replace(/^sha256:/, "")}` } : {}),
    installed: a.packages.map((p) => ({ name: p.displayName, version: p.version })),
    lastDeploy: {
      ...(a.activatedRunId ? { runId: a.activatedRunId } : {}),
      ...(run?.actorLocal ? { by: run.actorLocal } : {}),
      ...(a.activatedAt ? { at: a.activatedAt } : {}),
      releaseId: a.releaseId,
    },
  };
}

/** Where a finding lives, for the store's finding identity (host, kind, scope, subject). */
function scopeOf(f: Finding): string {
  switch (f.kind) {
    case "integrity":
    case "tags":
      return "file";
    case "out-of-band":
      return "package";
    case "environment":
      return "environment";
    case "unknown":
      return "host";
    default:
      return "release";
  }
}

/** The store's subject of a finding: unique per host, kind and scope (the key's detail part disambiguates). */
function storeSubject(f: Finding): string {
  const detail = f.key.split("\u0000")[3];
  return detail ? `${f.subject} [${detail}]` : f.subject;
}

async function observeHost(t: DriftTarget, o: DriftOptions, label: string): Promise<DriftObservation> {
  const root = checkRoot(t.root);
  const session = await openTransport(t.spec, o.env ?? process.env);
  try {
    const ops = new TargetOps(session, layoutFor(root), t.spec.pythonPath ?? DEFAULT_PYTHON);
    // Read-only: a missing root is ZWH-ROOT-NOT-FOUND, and helpers missing under the root are run
    // from a per-run /tmp directory removed afterwards; nothing is written under the root.
    const done = await prepareReadOnly(ops);
    let r;
    try {
      // Base interpreter, isolated, no site: a planted .pth or sitecustomize cannot run here.
      const args = ["observe", "--zwh-target", ops.helpers["zwh_target.py"].remotePath, "--root", root, "--tags"];
      r = await session.runHelper(ops.python, ops.helpers["zwh_drift.py"].remotePath, args, { label: "drift observe", pythonFlags: ISOLATED });
    } finally {
      await done();
    }
    const json = r.json;
    if (!json) {
      throw new ZwhError("ZWH-DRIFT-HELPER", `the drift observer printed no JSON on ${label} (exit ${r.code})`, {
        subject: label, details: { stderr: r.stderr.slice(-2000) }, hint: "Check that --python names a working interpreter on the target.",
      });
    }
    if (json.ok !== true) {
      const err = (json.error ?? {}) as { code?: string; message?: string; subject?: string };
      const code = err.code ?? "ZWH-DRIFT-HELPER";
      throw new ZwhError(code, code === "ZWH-ROOT-NOT-FOUND" ? `${root} does not exist on ${label}` : `drift observer failed on ${label}: ${err.message ?? "unknown error"}`, {
        subject: err.subject ?? label,
        hint: code === "ZWH-ROOT-NOT-FOUND" ? "Check --root: nothing was ever deployed there." : undefined,
      });
    }
    return json as unknown as DriftObservation;
  } finally {
    await session.close().catch(() => undefined);
  }
}

function tagLookup(obs: DriftObservation): (p: string) => { kind: "text" | "binary" | "mixed" | "untagged"; ccsid: string } | undefined {
  const m = new Map<string, { kind: "text" | "binary" | "mixed" | "untagged"; ccsid: string }>();
  for (const l of parseTagOutput((obs.release?.tags?.listing.lines ?? []).join("\n"))) {
    if (!l.tag) continue;
    const kind = l.tag.type === "t" ? "text" : l.tag.type === "b" ? "binary" : l.tag.type === "m" ? "mixed" : "untagged";
    m.set(l.rest, { kind, ccsid: l.tag.codeset });
  }
  return (p) => m.get(p);
}

interface Observed {
  target: DriftTarget;
  name: string;
  root: string;
  recorded?: RecordedState;
  findings: Finding[];
  summary: HostDriftSummary;
}

async function driftOne(t: DriftTarget, o: DriftOptions, run: RunRecorder, now: string): Promise<Observed> {
  const root = checkRoot(t.root);
  let name = t.name ?? (await run.hostName(t.spec));
  let recorded: RecordedState | undefined;
  try {
    const obs = await observeHost(t, o, name);
    if (!t.name) name = await run.hostName(t.spec, obs.nodename ?? null);
    recorded = await recordedState(o.store, name, root);
    const findings = compareHost({ host: name, target: t.cliTarget, cli: o.cli, observation: obs, recorded, desired: o.desired, tagOf: tagLookup(obs) });
    const receipt = obs.release?.receipt as Record<string, unknown> | null | undefined;
    return {
      target: t, name, root, recorded, findings,
      summary: {
        host: name, address: t.spec.host, root, status: findings.length > 0 ? "drift" : "clean",
        release: obs.current.release,
        ...(typeof receipt?.bundleId === "string" ? { bundleId: receipt.bundleId } : {}),
        ...(typeof receipt?.statementDigest === "string" ? { statementDigest: receipt.statementDigest } : {}),
        ...(recorded?.lastDeploy ? { lastDeploy: recorded.lastDeploy } : {}),
        observedAt: now,
        filesChecked: obs.release?.record?.checked ?? 0,
        ...(obs.interpreter.version ? { interpreter: obs.interpreter.version } : {}),
        findings: findings.length,
      },
    };
  } catch (e) {
    const err = toZwhError(e);
    recorded = await recordedState(o.store, name, root).catch(() => undefined);
    const f = unknownFinding(name, err.code, err.message, `${o.cli} drift ${t.cliTarget}`);
    return {
      target: t, name, root, recorded, findings: [{ ...f, firstSeen: now }],
      summary: { host: name, address: t.spec.host, root, status: "unknown", release: recorded?.releaseId ?? null, findings: 1, errorCode: err.code, ...(recorded?.lastDeploy ? { lastDeploy: recorded.lastDeploy } : {}) },
    };
  }
}

/**
 * Record one host's findings: new ones open, known ones keep their first sighting, missing ones
 * resolve. An unknown host resolves nothing (it was not observed); its earlier findings stay open.
 */
async function recordHost(store: InventoryStore, run: RunRecorder, h: Observed, now: string): Promise<Finding[]> {
  await run.ensureHost(h.name, h.target.spec);
  const unknown = h.summary.status === "unknown";
  if (!unknown) {
    const res = await store.recordFindings(run.runId, h.name, h.findings.map((f) => ({
      kind: f.kind, severity: f.severity, scope: scopeOf(f), subject: storeSubject(f),
      ...(f.desired !== undefined ? { desired: f.desired } : {}), ...(f.recorded !== undefined ? { recorded: f.recorded } : {}), ...(f.observed !== undefined ? { observed: f.observed } : {}),
      detail: { root: h.root, message: f.message, remediation: f.remediation },
    })));
    const first = new Map(res.open.map((r) => [`${r.kind}\u0000${r.scope}\u0000${r.subject}`, r.firstSeenAt]));
    h.findings = h.findings.map((f) => ({ ...f, firstSeen: first.get(`${f.kind}\u0000${scopeOf(f)}\u0000${storeSubject(f)}`) ?? now }));
  }
  await store.recordRunHost(run.runId, h.name, {
    root: h.root,
    status: unknown ? "unreachable" : h.summary.status === "drift" ? "changed" : "ok",
    ...(h.summary.release ? { releaseId: h.summary.release } : {}),
    ...(h.summary.errorCode ? { errorCode: h.summary.errorCode, errorText: h.findings[0]?.message } : {}),
  });
  return h.findings;
}


/** Observe and compare every target; record the run and its findings; build the report. */
export async function drift(o: DriftOptions): Promise<DriftReport> {
  if (o.targets.length === 0) throw new ZwhError("ZWH-DRIFT-NO-HOSTS", "no hosts to check", { hint: `Give --host, --profile, or --all-recorded (hosts the inventory knows).` });
  const store = o.store;
  const failOn = o.failOn ?? "low";
  const now = (o.now ?? (() => new Date()))().toISOString();
  const run = await RunRecorder.start(store, "drift", o.argv);
  try {
    const step = o.progress?.step.bind(o.progress) ?? (<T>(_t: string, fn: () => Promise<T>) => fn());
    // Each step names the LPAR when its name is given (--name, profile, a recorded host), with its address.
    const results = await pool(o.targets, o.concurrency ?? 8, (t) => step(`Observe ${hostTitle(t.spec, t.name)}`, () => driftOne(t, o, run, now)));
    if (store) for (const r of results) r.findings = await recordHost(store, run, r, now);
    const findings = results.flatMap((r) => r.findings);
    const hosts = results.map((r) => r.summary);
    const exitCode = driftExitCode(findings, failOn);
    await run.finish({ status: exitCode === 0 ? "ok" : "changed", exitCode });
    return {
      formatVersion: DRIFT_REPORT_VERSION,
      runId: run.runId,
      generatedAt: now,
      cli: o.cli,
      failOn,
      ...(o.desired ? { desired: { bundleId: o.desired.bundleId, statementDigest: o.desired.statementDigest, source: o.desired.source } } : {}),
      totals: totalsOf(hosts, findings),
      hosts,
      findings,
      exitCode,
    };
  } catch (e) {
    await run.finishFailed(toZwhError(e)).catch(() => undefined);
    throw e;
  }
}
