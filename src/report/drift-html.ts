/**
 * A self-contained HTML drift report (no external assets, no script): a summary per host,
 * findings by severity with their evidence and the command that fixes each. Meant to be
 * archived next to a change record, so everything needed to read it is inside the file.
 */
import { SEVERITIES, type Finding } from "../core/drift";
import type { DriftReport, HostDriftSummary } from "./drift-model";
import { sortedFindings } from "./drift-model";
import { esc } from "./xml";

const CSS = `
:root{--fg:#1d232a;--muted:#5b6570;--line:#d8dde3;--bg:#f6f8fa;--high:#b42318;--medium:#b54708;--low:#175cd3;--ok:#067647;--unk:#6941c6}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
header{padding:20px 28px;border-bottom:1px solid var(--line);background:var(--bg)}h1{margin:0 0 4px;font-size:20px}
.meta{color:var(--muted)}main{padding:20px 28px;max-width:1200px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:0 0 20px}.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}.card.high b{color:var(--high)}.card.medium b{color:var(--medium)}.card.low b{color:var(--low)}.card.ok b{color:var(--ok)}.card.unk b{color:var(--unk)}
table{border-collapse:collapse;width:100%;margin:8px 0 24px}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--bg);padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
.nowrap{white-space:nowrap}
.pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff}
.pill.high{background:var(--high)}.pill.medium{background:var(--medium)}.pill.low{background:var(--low)}
.pill.clean{background:var(--ok)}.pill.drift{background:var(--high)}.pill.unknown{background:var(--unk)}
details{margin:0 0 8px}summary{cursor:pointer}.evidence{color:var(--muted);font-size:12px}
`;

function pill(cls: string, text: string): string {
  return `<span class="pill ${esc(cls)}">${esc(text)}</span>`;
}

function hostRow(h: HostDriftSummary): string {
  const last = h.lastDeploy ? `${h.lastDeploy.by ?? "?"}, ${h.lastDeploy.at ?? "?"}${h.lastDeploy.bundleId ? ` (${h.lastDeploy.bundleId})` : ""}` : h.errorCode ?? "never deployed";
  return `<tr><td>${esc(h.host)}</td><td>${pill(h.status, h.status)}</td><td class="nowrap"><code>${esc(h.root)}</code></td><td><code>${esc(h.release ?? "-")}</code></td><td>${h.findings}</td><td>${esc(h.filesChecked !== undefined ? String(h.filesChecked) : "-")}</td><td>${esc(last)}</td></tr>`;
}

function evidence(f: Finding): string {
  const parts: string[] = [];
  if (f.desired !== undefined) parts.push(`desired <code>${esc(f.desired)}</code>`);
  if (f.recorded !== undefined) parts.push(`recorded <code>${esc(f.recorded)}</code>`);
  if (f.observed !== undefined) parts.push(`observed <code>${esc(f.observed)}</code>`);
  if (f.firstSeen) parts.push(`first seen ${esc(f.firstSeen)}`);
  if (f.lastDeploy?.runId) parts.push(`last deploy run <code>${esc(f.lastDeploy.runId)}</code>`);
  return parts.join(" · ");
}

function findingRow(f: Finding): string {
  return `<tr><td>${pill(f.severity, f.severity)}</td><td>${esc(f.host)}</td><td>${esc(f.kind)}</td><td>${esc(f.message)}<div class="evidence">${evidence(f)}</div></td><td><code>${esc(f.remediation)}</code></td></tr>`;
}

export function renderDriftHtml(r: DriftReport): string {
  const t = r.totals;
  const fs = sortedFindings(r.findings);
  const bySev = SEVERITIES.slice().reverse().map((s) => `<div class="card ${s}"><b>${t.bySeverity[s]}</b>${s} findings</div>`).join("");
  const sections = SEVERITIES.slice().reverse().map((s) => {
    const rows = fs.filter((f) => f.severity === s);
    if (rows.length === 0) return "";
    return `<h3>${esc(s[0].toUpperCase() + s.slice(1))} (${rows.length})</h3><table><thead><tr><th>Severity</th><th>Host</th><th>Kind</th><th>Finding and evidence</th><th>Remediation</th></tr></thead><tbody>${rows.map(findingRow).join("")}</tbody></table>`;
  }).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Wheelhouse drift report ${esc(r.runId)}</title><style>${CSS}</style></head>
<body><header><h1>Wheelhouse drift report</h1><div class="meta">Run <code>${esc(r.runId)}</code> · generated ${esc(r.generatedAt)} · exit code ${r.exitCode} · fail on ${esc(r.failOn)}${r.desired ? ` · desired <code>${esc(r.desired.bundleId)}</code>` : ""}</div></header>
<main><div class="cards"><div class="card"><b>${t.hosts}</b>hosts</div><div class="card ok"><b>${t.clean}</b>clean</div><div class="card high"><b>${t.drift}</b>drifted</div><div class="card unk"><b>${t.unknown}</b>unknown</div><div class="card"><b>${t.compliantPercent}%</b>compliant</div>${bySev}</div>
<h2>Hosts</h2><table><thead><tr><th>Host</th><th>Status</th><th>Root</th><th>Release</th><th>Findings</th><th>Files checked</th><th>Last deploy</th></tr></thead><tbody>${r.hosts.map(hostRow).join("")}</tbody></table>
<h2>Findings</h2>${fs.length === 0 ? "<p>No drift: every observed host matches its record.</p>" : sections}
</main></body></html>
`;
}
