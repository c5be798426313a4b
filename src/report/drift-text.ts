/** Human table (fits 100 columns, no colour unless asked) and Markdown for CI summaries. */
import type { DriftReport } from "./drift-model";
import { sortedFindings } from "./drift-model";

const WIDTH = 100;

function cut(s: string, n: number): string {
  return s.length <= n ? s.padEnd(n) : s.slice(0, Math.max(0, n - 1)) + "…";
}

function colour(on: boolean, code: string, s: string): string {
  return on ? `\u001b[${code}m${s}\u001b[0m` : s;
}

/** `color` true only when asked (--color) or a TTY without NO_COLOR; the caller decides. */
export function renderDriftTable(r: DriftReport, opts: { color?: boolean } = {}): string {
  const c = opts.color === true;
  const lines: string[] = [];
  const t = r.totals;
  lines.push(`Drift ${r.runId}: ${t.hosts} host(s): ${t.clean} clean, ${t.drift} drifted, ${t.unknown} unknown; ${t.compliantPercent}% compliant`);
  if (r.desired) lines.push(`Desired: ${r.desired.bundleId} (${r.desired.statementDigest.replace(/^sha256:/, "").slice(0, 12)}) from ${r.desired.source}`);
  lines.push("");
  lines.push(`${cut("HOST", 16)} ${cut("STATUS", 7)} ${cut("RELEASE", 34)} ${cut("FINDINGS", 8)} LAST DEPLOY`);
  for (const h of r.hosts) {
    const st = h.status === "clean" ? colour(c, "32", cut("clean", 7)) : h.status === "drift" ? colour(c, "31", cut("drift", 7)) : colour(c, "33", cut("unknown", 7));
    const last = h.lastDeploy ? `${h.lastDeploy.by ?? "?"} ${h.lastDeploy.at ?? ""}`.trim() : h.errorCode ?? "-";
    lines.push(`${cut(h.host, 16)} ${st} ${cut(h.release ?? "-", 34)} ${cut(String(h.findings), 8)} ${cut(last, WIDTH - 16 - 7 - 34 - 8 - 4)}`.trimEnd());
  }
  const fs = sortedFindings(r.findings);
  if (fs.length > 0) {
    lines.push("");
    lines.push(`${cut("SEVERITY", 8)} ${cut("HOST", 16)} ${cut("KIND", 11)} FINDING`);
    for (const f of fs) {
      const sev = colour(c, f.severity === "high" ? "31" : f.severity === "medium" ? "33" : "36", cut(f.severity, 8));
      lines.push(`${sev} ${cut(f.host, 16)} ${cut(f.kind, 11)} ${cut(f.message, WIDTH - 8 - 16 - 11 - 3)}`.trimEnd());
      lines.push(`${" ".repeat(8 + 16 + 11 + 3)}${cut(`fix: ${f.remediation}`, WIDTH - 38)}`.trimEnd());
    }
  }
  lines.push("");
  lines.push(`Exit ${r.exitCode} (0 clean, 2 drift, 4 unknown hosts, 6 both; --fail-on ${r.failOn}).`);
  return lines.join("\n") + "\n";
}

function md(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ").replace(/([*_`<>[\]])/g, "\\$1");
}

export function renderDriftMarkdown(r: DriftReport): string {
  const t = r.totals;
  const out: string[] = [];
  out.push(`# Drift report ${md(r.runId)}`, "");
  out.push(`Generated ${r.generatedAt}. **${t.hosts}** host(s): ${t.clean} clean, ${t.drift} drifted, ${t.unknown} unknown (${t.compliantPercent}% compliant). Exit code ${r.exitCode}.`, "");
  if (r.desired) out.push(`Desired bundle: \`${r.desired.bundleId}\` (${md(r.desired.statementDigest)})`, "");
  out.push("| Host | Status | Release | Findings | Last deploy |", "|---|---|---|---|---|");
  for (const h of r.hosts) {
    out.push(`| ${md(h.host)} | ${h.status} | ${md(h.release ?? "-")} | ${h.findings} | ${md(h.lastDeploy ? `${h.lastDeploy.by ?? ""} ${h.lastDeploy.at ?? ""}`.trim() : h.errorCode ?? "-")} |`);
  }
  const fs = sortedFindings(r.findings);
  if (fs.length > 0) {
    out.push("", "## Findings", "", "| Severity | Host | Kind | Finding | Remediation |", "|---|---|---|---|---|");
    for (const f of fs) out.push(`| ${f.severity} | ${md(f.host)} | ${f.kind} | ${md(f.message)} | \`${f.remediation.replace(/`/g, "'")}\` |`);
  }
  return out.join("\n") + "\n";
}
