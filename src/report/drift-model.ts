/**
 * The drift report: one versioned JSON document (docs/drift.md) that every other format is
 * rendered from, so the table, Markdown, HTML, JUnit and SARIF outputs never disagree.
 */
import { DRIFT_FORMAT_VERSION, SEVERITIES, type DeployRef, type DriftKind, type Finding, type Severity } from "../core/drift";

export type HostDriftStatus = "clean" | "drift" | "unknown";

export interface HostDriftSummary {
  host: string;
  address?: string;
  root: string;
  status: HostDriftStatus;
  release: string | null;
  bundleId?: string;
  statementDigest?: string;
  lastDeploy?: DeployRef;
  observedAt?: string;
  filesChecked?: number;
  interpreter?: string;
  findings: number;
  /** Why the host is unknown (a ZWH- code), when it is. */
  errorCode?: string;
}

export interface DriftReport {
  formatVersion: string;
  runId: string;
  generatedAt: string;
  cli: string;
  failOn: Severity;
  desired?: { bundleId: string; statementDigest: string; source: string };
  totals: {
    hosts: number;
    clean: number;
    drift: number;
    unknown: number;
    compliantPercent: number;
    bySeverity: Record<Severity, number>;
    byKind: Partial<Record<DriftKind, number>>;
  };
  hosts: HostDriftSummary[];
  findings: Finding[];
  exitCode: number;
}

export function totalsOf(hosts: HostDriftSummary[], findings: Finding[]): DriftReport["totals"] {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byKind: Partial<Record<DriftKind, number>> = {};
  for (const f of findings) {
    bySeverity[f.severity]++;
    byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  }
  const clean = hosts.filter((h) => h.status === "clean").length;
  return {
    hosts: hosts.length,
    clean,
    drift: hosts.filter((h) => h.status === "drift").length,
    unknown: hosts.filter((h) => h.status === "unknown").length,
    compliantPercent: hosts.length === 0 ? 100 : Math.round((clean / hosts.length) * 1000) / 10,
    bySeverity,
    byKind,
  };
}

export const DRIFT_REPORT_VERSION = DRIFT_FORMAT_VERSION;

/** Findings sorted for reading: by severity (high first), host, kind, subject. */
export function sortedFindings(fs: Finding[]): Finding[] {
  return [...fs].sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || a.host.localeCompare(b.host) || a.kind.localeCompare(b.kind) || a.subject.localeCompare(b.subject));
}
