/** Human renderings of deploy / rollback / status / lock results (the JSON is the result object itself). */
import { fmtBytes, renderPlan } from "../core/plan";
import type { DeployResult, LockResult, RollbackResult, StatusResult } from "../index";

function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function renderDeploy(r: DeployResult): string {
  if (r.dryRun) return `${renderPlan(r.plan)}\n(dry run: nothing was changed on ${r.host})`;
  const head =
    r.action === "noop"
      ? `${r.host} ${r.root}: ${r.releaseId} is already current; nothing changed (0 bytes uploaded).`
      : `${r.host} ${r.root}: ${r.releaseId} is now current${r.previous ? ` (previous: ${r.previous})` : ""}.`;
  const lines = [head];
  lines.push(`  bundle    ${r.bundle.id} channel ${r.bundle.channel} seq ${r.bundle.sequence}, signed by ${r.bundle.signers.map((s) => s.name).join(", ")}`);
  lines.push(`  uploaded  ${r.upload.files} wheel(s), ${fmtBytes(r.upload.bytes)}; ${r.upload.skipped} already on the host`);
  if (r.installed.length) lines.push(`  installed ${r.installed.map((p) => `${p.name}==${p.version}`).join(", ")}`);
  if (r.bootstrap.length) lines.push(`  bootstrap ${r.bootstrap.map((p) => `${p.name}==${p.version}`).join(", ")} (venv)`);
  if (r.pruned.length) lines.push(`  pruned    ${r.pruned.join(", ")}`);
  lines.push(`  steps     ${r.steps.map((s) => `${s.step} ${fmtMs(s.ms)}${s.bytes ? ` (${fmtBytes(s.bytes)})` : ""}`).join(", ")}`);
  lines.push(`  total     ${fmtMs(r.durationMs)}  run ${r.runId}`);
  for (const w of r.warnings) lines.push(`  warning   ${w}`);
  return lines.join("\n");
}

export function renderRollback(r: RollbackResult): string {
  if (r.dryRun) {
    const what = r.plan.action === "noop" ? `nothing to do: ${r.to} is already current` : `roll back ${r.host} ${r.root} from ${r.from ?? "none"} to ${r.to}`;
    const lines = [`Plan: ${what}`];
    r.plan.steps.forEach((s, i) => lines.push(`  ${i + 1}. ${s.title}\n       why: ${s.reason}`));
    lines.push(`(dry run: nothing was changed on ${r.host}; no lock was taken)`);
    return lines.join("\n");
  }
  return r.changed
    ? `${r.host} ${r.root}: rolled back from ${r.from ?? "none"} to ${r.to} (${fmtMs(r.durationMs)}, run ${r.runId}).`
    : `${r.host} ${r.root}: ${r.to} is already current; nothing changed.`;
}

export function renderStatus(s: StatusResult): string {
  const lines = [`${s.host} ${s.root}${s.rootExists ? "" : " (does not exist yet)"}`];
  if (s.current) {
    lines.push(`  current   ${s.current.releaseId}  ${s.current.bundleId ?? "?"} seq ${s.current.sequence ?? "?"}  activated ${s.current.activatedAt ?? "?"}`);
    if (s.current.installed.length) lines.push(`  installed ${s.current.installed.map((p) => `${p.name}==${p.version}`).join(", ")}`);
  } else lines.push("  current   none");
  lines.push(`  previous  ${s.previous ? `${s.previous.releaseId}  activated ${s.previous.activatedAt ?? "?"}` : "none"}`);
  for (const r of s.releases) lines.push(`  release   ${r.releaseId.padEnd(30)} ${r.state.padEnd(8)} ${r.complete ? "complete" : "INCOMPLETE"}`);
  lines.push(`  lock      ${s.lock.held ? `${s.lock.stale ? "STALE, " : ""}held by ${s.lock.description}` : "free"}`);
  lines.push(`  trust     ${s.trust.present ? `installed (sha256 ${String(s.trust.sha256).slice(0, 16)}…)` : "NOT installed (zwh target trust)"}`);
  const lr = s.inventory?.lastRun as { kind?: string; status?: string; startedAt?: string; errorCode?: string | null } | null | undefined;
  if (lr) lines.push(`  last run  ${lr.kind} ${lr.status} ${lr.startedAt ?? ""}${lr.errorCode ? ` ${lr.errorCode}` : ""} (local inventory)`);
  return lines.join("\n");
}

export function renderLock(l: LockResult): string {
  if (l.broken !== undefined) return l.broken ? `${l.host} ${l.root}: broke the lock held by ${l.description}.` : `${l.host} ${l.root}: no lock was held.`;
  return l.held ? `${l.host} ${l.root}: locked${l.stale ? " (STALE)" : ""} by ${l.description}` : `${l.host} ${l.root}: not locked.`;
}
