/**
 * Our Output interface over imperative's response API. Nothing here writes to process.stdout or
 * process.stderr: in daemon mode the response API writes to the daemon socket, and under --rfj
 * it collects the text into the JSON response instead of printing it.
 *
 *   out.info(msg)        -> response.console.log     (stdout; collected under --rfj)
 *   out.warn(msg)        -> response.console.error   (stderr; collected under --rfj)
 *   out.progress.step()  -> response.progress.startBar/endBar with a live status message, plus one
 *                           "[done ] title (1.2 s)" line on stderr, like zwh's plain progress.
 *                           imperative shows no bar under --rfj, with CI set or without colour.
 */
import type { IHandlerResponseApi, ITaskWithStatus } from "@zowe/imperative";
import type { Output, Progress, StepHandle } from "../framework/types";
import { inCliWords } from "../framework/cli-words";
import type { FleetEvent, FleetReporter } from "../../fleet/types";

// TaskStage values of @zowe/imperative (an enum; not imported so this module needs no runtime require).
const IN_PROGRESS = 0;
const COMPLETE = 1;
const FAILED = 3;

function fmtDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** "12/40 wheels" -> 30: the first "n/m" in a status message gives the bar's percentage. */
export function percentFrom(message: string): number | undefined {
  const m = /(\d+)\s*\/\s*(\d+)/.exec(message);
  if (!m) return undefined;
  const done = Number(m[1]);
  const total = Number(m[2]);
  if (!(total > 0) || done > total) return undefined;
  return Math.round((done / total) * 100);
}

class ZoweProgress implements Progress {
  /** The task driving the one bar imperative allows; nested steps update it. */
  private task: ITaskWithStatus | undefined;

  constructor(private readonly response: IHandlerResponseApi) {}

  async step<T>(title: string, fn: (s: StepHandle) => Promise<T>): Promise<T> {
    const t0 = Date.now();
    const owner = this.task === undefined;
    const task: ITaskWithStatus = this.task ?? { percentComplete: 0, statusMessage: title, stageName: IN_PROGRESS };
    const outerMessage = task.statusMessage;
    if (owner) {
      this.task = task;
      this.response.progress.startBar({ task });
    } else {
      task.statusMessage = title;
    }
    const handle: StepHandle = {
      update: (message: string) => {
        task.statusMessage = `${title}: ${message}`;
        const pct = percentFrom(message);
        if (pct !== undefined) task.percentComplete = pct;
      },
    };
    try {
      const result = await fn(handle);
      if (owner) {
        task.percentComplete = 100;
        task.stageName = COMPLETE;
      } else {
        task.statusMessage = outerMessage;
      }
      this.finish(owner);
      this.response.console.error("%s", `[done ] ${title} (${fmtDuration(Date.now() - t0)})`);
      return result;
    } catch (e) {
      if (owner) task.stageName = FAILED;
      else task.statusMessage = outerMessage;
      this.finish(owner);
      this.response.console.error("%s", `[FAIL ] ${title} (${fmtDuration(Date.now() - t0)})`);
      throw e;
    }
  }

  private finish(owner: boolean): void {
    if (!owner) return;
    this.response.progress.endBar();
    this.task = undefined;
  }
}

/**
 * Fleet progress through the response API: one bar for the run (percentage = hosts finished,
 * status = hosts done and failed so far, then the batch and the host that last reported a step)
 * and one "[host ] …" line on stderr per host outcome. While a bar is drawn imperative holds
 * back console output until the bar ends, so the failed count in the status is what shows a
 * failure during the run.
 */
class ZoweFleetProgress implements FleetReporter {
  private task: ITaskWithStatus | undefined;
  private total = 0;
  private finished = 0;
  private failed = 0;
  private batch = "";
  private activity = "";

  constructor(private readonly response: IHandlerResponseApi) {}

  event(e: FleetEvent): void {
    if (e.type === "run") {
      this.total = e.hosts;
      this.activity = `fleet ${e.operation} ${e.runId}`;
      this.task = { percentComplete: 0, statusMessage: this.status(), stageName: IN_PROGRESS };
      this.response.progress.startBar({ task: this.task });
      return;
    }
    if (!this.task) return;
    if (e.type === "batch-start") this.batch = `batch ${e.batch}${e.canary ? " (canary)" : ""}`;
    if (e.type === "host-start") this.activity = `${this.batch ? `${this.batch}: ` : ""}${e.host}`;
    if (e.type === "host-step") this.activity = `${this.batch ? `${this.batch}: ` : ""}${e.host} ${e.step}`;
    if (e.type === "host-end") {
      this.finished++;
      if (e.status === "failed" || e.status === "unreachable") this.failed++;
      this.task.percentComplete = this.total ? Math.round((this.finished / this.total) * 100) : 100;
      this.response.console.error("%s", `[host ] ${e.host} batch ${e.batch} ${e.status}${e.errorCode ? ` ${e.errorCode}` : ""}${e.reason && (e.status === "failed" || e.status === "unreachable" || e.status === "skipped") ? `: ${e.reason}` : ""}`);
    }
    if (e.type === "stop") this.response.console.error("%s", `[STOP ] ${e.stop.code}: ${e.stop.message}`);
    this.task.statusMessage = this.status();
  }

  private status(): string {
    return `${this.finished}/${this.total} done${this.failed ? `, ${this.failed} failed` : ""}; ${this.activity}`;
  }

  close(): void {
    if (!this.task) return;
    this.task.stageName = COMPLETE;
    this.task.percentComplete = 100;
    this.response.progress.endBar();
    this.task = undefined;
  }
}

export function zoweOutput(response: IHandlerResponseApi): Output {
  return {
    fleet: () => new ZoweFleetProgress(response),
    info: (m) => { response.console.log("%s", inCliWords(m.endsWith("\n") ? m.slice(0, -1) : m, "zowe")); },
    warn: (m) => { response.console.error("%s", inCliWords(m.endsWith("\n") ? m.slice(0, -1) : m, "zowe")); },
    progress: new ZoweProgress(response),
  };
}
