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

export function zoweOutput(response: IHandlerResponseApi): Output {
  return {
    info: (m) => { response.console.log("%s", inCliWords(m.endsWith("\n") ? m.slice(0, -1) : m, "zowe")); },
    warn: (m) => { response.console.error("%s", inCliWords(m.endsWith("\n") ? m.slice(0, -1) : m, "zowe")); },
    progress: new ZoweProgress(response),
  };
}
