/**
 * zwh's fleet progress, on stderr. Two forms:
 * - plain (no TTY, CI set, TERM=dumb): one timestamped line per host state change and per batch,
 *   e.g. "2026-12-04T00:12:03Z lpar07 batch 2 install"; step status messages are not repeated.
 * - live (an interactive terminal): a compact block redrawn at most every REDRAW_MS: one line per
 *   batch ("batch 2/4 · 10 hosts · 6 ok · 1 failed · 3 running"), then the running hosts with
 *   their step, then the failed hosts with their code, capped to the terminal's height (listr2's
 *   default renderer duplicates output once its task list is taller than the terminal). The last
 *   frame stays on screen; the recap follows on stdout.
 */
import type { FleetHostStatus } from "../../core/fleet-types";
import type { FleetEvent, FleetReporter } from "../../fleet/types";

export const REDRAW_MS = 200;

function stamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

export class PlainFleetProgress implements FleetReporter {
  constructor(private readonly err: NodeJS.WritableStream, private readonly now: () => string = stamp) {}

  event(e: FleetEvent): void {
    const line = plainLine(e);
    if (line) this.err.write(`${this.now()} ${line}\n`);
  }

  close(): void {
    /* nothing buffered */
  }
}

/** The plain line for an event (undefined: not worth a line). */
export function plainLine(e: FleetEvent): string | undefined {
  switch (e.type) {
    case "run":
      return `fleet ${e.operation} ${e.runId}: ${e.hosts} host(s) in ${e.batches.length} batch(es)`;
    case "batch-start":
      return `batch ${e.batch}${e.canary ? " (canary)" : ""} start: ${e.hosts.join(", ")}`;
    case "host-start":
      return `${e.host} batch ${e.batch} start`;
    case "host-step":
      return e.message ? undefined : `${e.host} batch ${e.batch} ${e.step}`;
    case "host-end":
      return `${e.host} batch ${e.batch} ${e.status}${e.errorCode ? ` ${e.errorCode}` : ""}${e.reason && e.status !== "changed" && e.status !== "unchanged" ? `: ${e.reason}` : ""}`;
    case "batch-end":
      return `batch ${e.batch} done`;
    case "stop":
      return `STOP ${e.stop.code} after batch ${e.stop.batch}: ${e.stop.message}`;
  }
}

type Final = Exclude<FleetHostStatus, "pending" | "running">;

interface BatchState {
  index: number;
  canary: boolean;
  hosts: string[];
  counts: Partial<Record<Final | "running", number>>;
}

export class LiveFleetProgress implements FleetReporter {
  private batches: BatchState[] = [];
  private readonly running = new Map<string, { batch: number; step: string }>();
  private readonly failed: string[] = [];
  private title = "fleet";
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private stopLine: string | undefined;

  constructor(private readonly err: NodeJS.WritableStream & { rows?: number; columns?: number }) {}

  event(e: FleetEvent): void {
    switch (e.type) {
      case "run":
        this.title = `fleet ${e.operation} ${e.runId} · ${e.hosts} host(s)`;
        this.batches = e.batches.map((b) => ({ ...b, counts: {} }));
        break;
      case "host-start":
        this.running.set(e.host, { batch: e.batch, step: "start" });
        this.bump(e.batch, "running", 1);
        break;
      case "host-step":
        if (this.running.has(e.host)) this.running.set(e.host, { batch: e.batch, step: e.message ? `${e.step}: ${e.message}` : e.step });
        break;
      case "host-end":
        if (this.running.delete(e.host)) this.bump(e.batch, "running", -1);
        this.bump(e.batch, e.status as Final, 1);
        if (e.status === "failed" || e.status === "unreachable") this.failed.push(`✗ ${e.host} ${e.status}${e.errorCode ? ` ${e.errorCode}` : ""}${e.reason ? `: ${e.reason}` : ""}`);
        break;
      case "stop":
        this.stopLine = `STOP ${e.stop.code}: ${e.stop.message}`;
        break;
      default:
        break;
    }
    this.dirty = true;
    if (!this.timer) {
      this.timer = setInterval(() => this.draw(), REDRAW_MS);
      this.timer.unref?.();
    }
  }

  private bump(batch: number, k: Final | "running", by: number): void {
    const b = this.batches.find((x) => x.index === batch);
    if (b) b.counts[k] = (b.counts[k] ?? 0) + by;
  }

  /** The frame: batch rows, running hosts, failed hosts, cut to the terminal height and width. */
  frame(): string[] {
    const rows = Math.max(3, (this.err.rows ?? 24) - 1);
    const cols = Math.max(20, this.err.columns ?? 80);
    const lines = [this.title];
    for (const b of this.batches) {
      const c = b.counts;
      const parts = (["changed", "unchanged", "ok", "failed", "unreachable", "skipped", "running"] as const).filter((k) => c[k]).map((k) => `${c[k]} ${k}`);
      lines.push(`batch ${b.index}${b.canary ? " (canary)" : ""} · ${b.hosts.length} host(s)${parts.length ? " · " + parts.join(" · ") : ""}`);
    }
    if (this.stopLine) lines.push(this.stopLine);
    const run = [...this.running.entries()].map(([h, r]) => `… ${h} (batch ${r.batch}) ${r.step}`);
    // Failed hosts stay visible; running hosts fill what is left; overflow is counted, not drawn.
    const room = rows - lines.length;
    const failed = this.failed.slice(-Math.max(0, Math.floor(room / 2)));
    const runRoom = Math.max(0, room - failed.length - 1);
    const shown = run.slice(0, runRoom);
    lines.push(...shown);
    if (run.length > shown.length) lines.push(`… and ${run.length - shown.length} more running`);
    lines.push(...failed);
    return lines.slice(0, rows).map((l) => (l.length > cols - 1 ? l.slice(0, cols - 2) + "…" : l));
  }

  private draw(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const lines = this.frame();
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
    for (const l of lines) out += `\x1b[2K${l}\n`;
    // Clear rows left over from a taller previous frame.
    for (let i = lines.length; i < this.drawn; i++) out += "\x1b[2K\n";
    if (this.drawn > lines.length) out += `\x1b[${this.drawn - lines.length}A`;
    this.err.write(out);
    this.drawn = lines.length;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.dirty = true;
    this.draw();
  }
}
