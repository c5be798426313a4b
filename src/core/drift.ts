/**
 * Drift: compare what a host runs (observed, one helper run) with what was recorded (inventory
 * and the on-target receipt) and, optionally, what is desired (a verified bundle). Pure: no I/O.
 *
 * Kinds follow fleet-and-drift.md §7: integrity (RECORD mismatch, missing or extra files),
 * out-of-band (packages added/removed/changed behind our back), tags, activation (`current`
 * points somewhere unrecorded), environment (interpreter changed under the venv), unapplied
 * (desired bundle differs from the record) and unknown (host not observed: never clean).
 */

export type DriftKind = "integrity" | "out-of-band" | "tags" | "activation" | "environment" | "unapplied" | "unknown";
export type Severity = "low" | "medium" | "high";
export const SEVERITIES: readonly Severity[] = ["low", "medium", "high"];
export const DRIFT_FORMAT_VERSION = "1.0";

export interface DeployRef {
  runId?: string;
  by?: string;
  at?: string;
  bundleId?: string;
  statementDigest?: string;
  releaseId?: string;
}

export interface Finding {
  host: string;
  kind: DriftKind;
  severity: Severity;
  /** What the finding is about: a package name, a file path, "current", "interpreter", ... */
  subject: string;
  /** A stable id of the finding across runs (host + kind + subject + detail). */
  key: string;
  message: string;
  desired?: string;
  recorded?: string;
  observed?: string;
  firstSeen?: string;
  lastDeploy?: DeployRef;
  remediation: string;
}

/** The observer helper's JSON (zwh_drift.py observe). */
export interface DriftObservation {
  root: string;
  /** uname -n of the LPAR (names the host when no logical name was given). */
  nodename?: string | null;
  interpreter: { executable?: string; realpath?: string; version?: string; build?: string; size?: number | null; mtime?: number | null; platform?: string; sysconfigPlatform?: string };
  current: { target: string | null; kind: string; release: string | null };
  previous?: { target: string | null; kind: string; release: string | null };
  lock?: { held: boolean; owner: Record<string, unknown> | null; stale: boolean };
  trust?: { present: boolean; sha256: string | null };
  accepted?: unknown;
  release: null | {
    id: string;
    exists: boolean;
    receipt?: Record<string, unknown> | null;
    venv?: { exists: boolean; cfg: Record<string, string> | null };
    distributions?: Array<{ name: string; version: string; files: number }>;
    record?: { checked: number; owned: number; findings: Array<Record<string, unknown>> };
    tags?: { text: string[]; binary: string[]; listing: { ran: boolean; exitCode?: number; lines: string[] } };
  };
}

/** What the inventory says was deployed to this host and root (absent: never deployed by us). */
export interface RecordedState {
  releaseId: string;
  bundleId?: string;
  statementDigest?: string;
  installed: Array<{ name: string; version: string }>;
  lastDeploy?: DeployRef;
}

export interface DesiredState {
  bundleId: string;
  statementDigest: string;
  releaseId: string;
  source: string;
}

export interface DriftInput {
  host: string;
  /** How to name the host in remediation commands (e.g. `--profile lpar1` or `--host h --root r`). */
  target: string;
  cli: string;
  observation: DriftObservation;
  recorded?: RecordedState;
  desired?: DesiredState;
  /** Parsed `ls -T` lines (tag per path), from src/core/tags. */
  tagOf?: (path: string) => { kind: "text" | "binary" | "mixed" | "untagged"; ccsid: string } | undefined;
}

function norm(n: string): string {
  return n.toLowerCase().replace(/[-_.]+/g, "-");
}

function fKey(host: string, kind: DriftKind, subject: string, detail = ""): string {
  return [host, kind, subject, detail].join("\u0000");
}

/** Compare one host. Order: activation, environment, integrity, out-of-band, tags, unapplied. */
export function compareHost(i: DriftInput): Finding[] {
  const out: Finding[] = [];
  const o = i.observation;
  const rec = i.recorded;
  const repair = `${i.cli} deploy --repair ${i.target}`;
  const add = (f: Omit<Finding, "host" | "key" | "lastDeploy"> & { detail?: string }): void => {
    const { detail, ...rest } = f;
    out.push({ host: i.host, key: fKey(i.host, f.kind, f.subject, detail), ...(rec?.lastDeploy ? { lastDeploy: rec.lastDeploy } : {}), ...rest });
  };
  const cur = o.current.release;
  const receipt = (o.release?.receipt ?? null) as Record<string, unknown> | null;

  // activation: `current` must be the recorded release, and it must be intact.
  if (rec && cur !== rec.releaseId) {
    add({
      kind: "activation", severity: "high", subject: "current",
      message: cur ? `current points to ${cur}, not the recorded release ${rec.releaseId}` : `current is ${o.current.kind === "absent" ? "missing" : "not a release link"}; the recorded release is ${rec.releaseId}`,
      recorded: rec.releaseId, observed: cur ?? (o.current.target ?? o.current.kind),
      remediation: `${i.cli} rollback --to ${rec.releaseId} ${i.target}`,
    });
  } else if (!rec && cur) {
    add({
      kind: "activation", severity: "medium", subject: "current",
      message: `current points to ${cur}, which the inventory has no record of`,
      observed: cur, remediation: `${i.cli} inventory sync ${i.target}`,
    });
  }
  if (cur && o.release && !o.release.exists) {
    add({ kind: "activation", severity: "high", subject: "current", detail: "dangling", message: `current points to ${cur}, which does not exist`, observed: cur, remediation: repair });
  }

  // environment: the interpreter under the venv changed since the deploy (an SDK APAR, an upgrade).
  const then = (receipt?.python as { fingerprint?: Record<string, unknown>; version?: string } | undefined)?.fingerprint;
  if (then && o.release?.exists) {
    const now = o.interpreter;
    const diffs: string[] = [];
    for (const k of ["version", "realpath", "size", "mtime", "platform"] as const) {
      if (then[k] !== undefined && now[k] !== undefined && String(then[k]) !== String(now[k])) diffs.push(`${k} ${String(then[k])} → ${String(now[k])}`);
    }
    if (diffs.length > 0) {
      add({
        kind: "environment", severity: "high", subject: "interpreter",
        message: `the interpreter changed since the deploy: ${diffs.join(", ")}`,
        recorded: String(then.version ?? ""), observed: String(now.version ?? ""),
        remediation: repair,
      });
    }
  }

  // integrity: every installed file re-hashed against its RECORD, and files no RECORD owns.
  for (const f of o.release?.record?.findings ?? []) {
    const kind = String(f.kind);
    const path = String(f.path ?? "");
    const dist = f.dist !== undefined ? String(f.dist) : undefined;
    if (kind === "unowned") {
      const pth = f.suspicious === "pth" || path.endsWith(".pth");
      add({
        kind: "integrity", severity: pth ? "high" : "medium", subject: path, detail: "extra",
        message: pth ? `extra start-up hook ${path} in site-packages (runs at every interpreter start)` : `extra file ${path} in site-packages (no RECORD lists it)`,
        observed: "present", recorded: "absent", remediation: repair,
      });
    } else if (kind === "missing") {
      add({ kind: "integrity", severity: "high", subject: path, detail: "missing", message: `${path}${dist ? ` (${dist})` : ""} is missing`, recorded: "present", observed: "missing", remediation: repair });
    } else if (kind === "modified") {
      const exp = (f.expected ?? {}) as { hash?: string };
      const act = (f.actual ?? {}) as { hash?: string };
      add({
        kind: "integrity", severity: "high", subject: path, detail: "modified",
        message: `${path}${dist ? ` (${dist})` : ""} was modified (${((f.reasons as string[] | undefined) ?? []).join(", ")})`,
        recorded: exp.hash, observed: act.hash, remediation: repair,
      });
    } else {
      add({ kind: "integrity", severity: "high", subject: path || dist || kind, detail: kind, message: `${kind}: ${path}${dist ? ` (${dist})` : ""}`, remediation: repair });
    }
  }

  // out-of-band: the installed set against what was recorded (receipt first, inventory second).
  const recordedSet = installedOf(receipt) ?? rec?.installed;
  const dists = o.release?.distributions;
  if (recordedSet && dists) {
    const want = new Map(recordedSet.map((p) => [norm(p.name), p]));
    const bootstrap = new Set((installedOf(receipt, "bootstrap") ?? []).map((p) => norm(p.name)));
    const have = new Map(dists.map((d) => [norm(d.name), d]));
    for (const [n, d] of have) {
      const w = want.get(n);
      if (!w) {
        if (bootstrap.has(n)) continue;
        add({ kind: "out-of-band", severity: "medium", subject: d.name, detail: "added", message: `package ${d.name} ${d.version} was added outside Wheelhouse`, observed: d.version, recorded: "absent", remediation: repair });
      } else if (w.version !== d.version) {
        add({ kind: "out-of-band", severity: "high", subject: d.name, detail: "changed", message: `package ${d.name} is ${d.version}, recorded ${w.version}`, observed: d.version, recorded: w.version, remediation: repair });
      }
    }
    for (const [n, w] of want) {
      if (!have.has(n)) add({ kind: "out-of-band", severity: "high", subject: w.name, detail: "removed", message: `package ${w.name} ${w.version} was removed`, recorded: w.version, observed: "absent", remediation: repair });
    }
  }

  // tags: text files the agent wrote must be t ISO8859-1, wheels b binary.
  const tags = o.release?.tags;
  if (tags && i.tagOf) {
    for (const [paths, want] of [[tags.text, "text"], [tags.binary, "binary"]] as const) {
      for (const p of paths) {
        const t = i.tagOf(p);
        const ok = t && (want === "binary" ? t.kind === "binary" : t.kind === "text" && t.ccsid === "ISO8859-1");
        if (!ok) {
          add({
            kind: "tags", severity: "medium", subject: p, message: `${p} is tagged ${t ? `${t.kind} ${t.ccsid}` : "(not listed)"}, want ${want === "binary" ? "b binary" : "t ISO8859-1"}`,
            recorded: want === "binary" ? "binary" : "ISO8859-1", observed: t ? `${t.kind} ${t.ccsid}` : "unknown",
            remediation: want === "binary" ? `chtag -b ${p}` : `chtag -tc ISO8859-1 ${p}`,
          });
        }
      }
    }
  }

  // unapplied: the desired bundle is not what was recorded.
  if (i.desired) {
    const recorded = rec?.statementDigest ?? (receipt?.statementDigest as string | undefined);
    if (recorded !== i.desired.statementDigest) {
      add({
        kind: "unapplied", severity: "high", subject: i.desired.bundleId,
        message: `desired bundle ${i.desired.bundleId} (${short(i.desired.statementDigest)}) is not deployed; recorded ${rec?.bundleId ?? "nothing"}${recorded ? ` (${short(recorded)})` : ""}`,
        desired: i.desired.statementDigest, recorded: recorded ?? "none",
        remediation: `${i.cli} deploy ${i.desired.source} ${i.target}`,
      });
    }
  }
  return out;
}

function short(d: string): string {
  return d.replace(/^sha256:/, "").slice(0, 12);
}

function installedOf(receipt: Record<string, unknown> | null, field = "installed"): Array<{ name: string; version: string }> | undefined {
  const v = receipt?.[field];
  if (!Array.isArray(v)) return undefined;
  return v.filter((x): x is { name: string; version: string } => !!x && typeof (x as { name?: unknown }).name === "string" && typeof (x as { version?: unknown }).version === "string");
}

/** The unknown finding for a host that could not be observed (never reported as clean). */
export function unknownFinding(host: string, code: string, message: string, retry: string): Finding {
  return { host, kind: "unknown", severity: "high", subject: host, key: fKey(host, "unknown", host), message: `not observed: ${message} (${code})`, observed: code, remediation: retry };
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/**
 * Exit code, Puppet-style bitmask: 0 clean, 2 drift at or above `failOn`, 4 some hosts unknown,
 * 6 both. Errors (1) are decided by the caller.
 */
export function driftExitCode(findings: Finding[], failOn: Severity = "low"): number {
  const unknown = findings.some((f) => f.kind === "unknown");
  const drift = findings.some((f) => f.kind !== "unknown" && severityRank(f.severity) >= severityRank(failOn));
  return (drift ? 2 : 0) | (unknown ? 4 : 0);
}
