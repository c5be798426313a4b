/**
 * The human recap of a fleet run: what stopped it, one line per host (status, batch, error code,
 * time) with the reason underneath, the totals per batch, the run id and the retry command.
 * Lines fit 100 columns, except the retry command, which stays on one line so it can be pasted.
 */
import { FINAL_STATUSES, emptyCounts, isFinal, latestByHost, oneLine } from "../core/fleet-recap";
import type { BatchRecap, FleetHostStatus, FleetRecap } from "../core/fleet-types";
import { shQuote } from "../remote/quote";

export interface RenderRecapOptions {
  /** Colour only when asked (--color) or on a terminal without NO_COLOR; the caller decides. */
  color: boolean;
  /** The CLI in use, for the retry command: "zwh" or "zowe wh". */
  cli: "zwh" | "zowe wh";
  /** The bundle and fleet file as the user gave them, for the retry command (placeholders otherwise). */
  bundle?: string;
  fleet?: string;
}

const WIDTH = 100;
const STATUS_COLOUR: Record<FleetHostStatus, string | undefined> = {
  changed: "33", unchanged: "32", ok: "32", failed: "31", unreachable: "31", skipped: "36", pending: undefined, running: undefined,
};

function paint(on: boolean, status: FleetHostStatus, s: string): string {
  const c = STATUS_COLOUR[status];
  return on && c ? `\u001b[${c}m${s}\u001b[0m` : s;
}

function cut(s: string, n: number): string {
  return s.length <= n ? s.padEnd(n) : s.slice(0, n - 1) + "…";
}

/** Words wrapped to `width`, continuation lines indented by `indent`; at most `maxLines` lines. */
export function wrap(text: string, width: number, indent: string, maxLines = 4): string[] {
  const words = oneLine(text, 4000).split(" ");
  const lines: string[] = [];
  let cur = indent;
  for (const w0 of words) {
    let w = w0;
    while (indent.length + w.length > width) {
      // A word longer than a line (a path): split it.
      if (cur.trim() !== "") lines.push(cur);
      const room = width - indent.length;
      lines.push(indent + w.slice(0, room));
      w = w.slice(room);
      cur = indent;
    }
    if (w === "") continue;
    if (cur.length + (cur.trim() === "" ? 0 : 1) + w.length > width) {
      lines.push(cur);
      cur = indent + w;
    } else cur += (cur.trim() === "" ? "" : " ") + w;
  }
  if (cur.trim() !== "") lines.push(cur);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    const last = kept[maxLines - 1]!;
    kept[maxLines - 1] = last.length >= width ? last.slice(0, width - 1) + "…" : last + "…";
    return kept;
  }
  return lines;
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return "";
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s - m * 60)).padStart(2, "0")}s`;
}

function totals(counts: BatchRecap["counts"]): string {
  return FINAL_STATUSES.map((s) => `${counts[s]} ${s}`).join(", ");
}

/** The recap an operator reads at the end of a run (see the module comment); colour only when `color`. */
export function renderFleetRecap(recap: FleetRecap, opts: RenderRecapOptions): string {
  const hosts = latestByHost(recap.hosts);
  const all = emptyCounts();
  let unfinished = 0;
  for (const h of hosts) {
    if (isFinal(h.status)) all[h.status]++;
    else unfinished++;
  }
  const out: string[] = [];
  const head = `Fleet ${recap.operation} ${recap.runId}: ${hosts.length} host(s): ${totals(all)}${unfinished ? `, ${unfinished} not finished` : ""}`;
  out.push(...wrap(head, WIDTH, "  ", 3).map((l, i) => (i === 0 ? l.slice(2) : l)));
  if (recap.stopped) {
    const s = recap.stopped;
    out.push(...wrap(`Stopped after batch ${s.batch}: ${s.code}: ${s.message}`, WIDTH, "  ", 3).map((l, i) => (i === 0 ? l.slice(2) : l)));
  }
  out.push("");

  const hw = Math.min(24, Math.max(4, ...hosts.map((h) => h.host.length)));
  const cw = Math.min(30, Math.max(4, ...hosts.map((h) => (h.errorCode ?? "-").length)));
  out.push(`${cut("HOST", hw)} ${cut("STATUS", 11)} ${cut("BATCH", 5)} ${cut("CODE", cw)} TIME`);
  for (const h of hosts) {
    const st = paint(opts.color, h.status, cut(h.status, 11));
    const batch = cut(`${h.batch}${recap.batches.find((b) => b.index === h.batch)?.canary ? "c" : ""}`, 5);
    out.push(`${cut(h.host, hw)} ${st} ${batch} ${cut(h.errorCode ?? "-", cw)} ${duration(h.durationMs)}`.trimEnd());
    const notes: string[] = [];
    // Hosts skipped by the stop all share its reason, printed once above: one short line each.
    const stoppedHere = recap.stopped !== undefined && h.status === "skipped" && h.errorCode === recap.stopped.code;
    if (stoppedHere) notes.push(`not started: the rollout stopped after batch ${recap.stopped!.batch}`);
    else if (h.reason) notes.push(h.step ? `${h.step}: ${h.reason}` : h.reason);
    if (h.sharedWith) notes.push(`shared file system ${h.sharedWith.group}, installed by ${h.sharedWith.installer}`);
    if (h.releaseId && (h.status === "changed" || h.status === "unchanged" || h.status === "ok")) notes.push(`release ${h.releaseId}`);
    if (notes.length > 0) out.push(...wrap(notes.join("; "), WIDTH, "    "));
  }

  if (recap.batches.length > 0) {
    out.push("");
    const cols = ["BATCH", "PLANNED", ...FINAL_STATUSES.map((s) => s.toUpperCase())];
    out.push(cols.map((c, i) => (i === 0 ? cut(c, 9) : c.padStart(Math.max(c.length, 7)))).join(" "));
    for (const b of recap.batches) {
      const cells = [cut(`${b.index}${b.canary ? " canary" : ""}`, 9), String(b.planned).padStart(7), ...FINAL_STATUSES.map((s) => String(b.counts[s]).padStart(Math.max(s.length, 7)))];
      out.push(cells.join(" "));
    }
  }

  out.push("");
  out.push(`Run id: ${recap.runId}`);
  if (recap.retryFile) {
    out.push(...wrap(`Failed and unreachable hosts: ${recap.retryFile}`, WIDTH, "  ", 3).map((l, i) => (i === 0 ? l.slice(2) : l)));
    // The user's own paths, quoted for the shell they will paste the command into.
    const args = [
      ...(recap.operation === "rollback" ? [] : [opts.bundle === undefined ? "BUNDLE" : shQuote(opts.bundle)]),
      "--fleet", opts.fleet === undefined ? "FLEET" : shQuote(opts.fleet),
      "--limit", shQuote(`@${recap.retryFile}`),
    ];
    out.push(`to retry: ${opts.cli} fleet ${recap.operation} ${args.join(" ")}`);
  }
  out.push(`Exit ${recap.exitCode} (0 all ok, 2 some failed or not done, 4 some unreachable, 6 both).`);
  return out.join("\n") + "\n";
}
