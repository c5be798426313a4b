/**
 * zwh's Output: human text on stdout, notices on stderr, progress on stderr.
 * Progress uses listr2's live renderer only when stdout and stderr are both TTYs, CI is not set,
 * TERM is not "dumb" and the terminal has columns; otherwise plain timestamped lines (listr2
 * redraws break in CI logs, pipes and dumb terminals). Plain status updates are throttled to one
 * line per step every PLAIN_UPDATE_INTERVAL_MS (an 80 MiB upload once printed ~1,280 lines);
 * the start, done and fail lines are always printed.
 */
import type { Output, Progress, StepHandle } from "../framework/types";
import { silentReporter } from "../../fleet/types";
import { LiveFleetProgress, PlainFleetProgress } from "./fleet-progress";

export interface ZwhOutputOptions {
  json: boolean;
  env: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force plain progress lines (--no-progress or tests). */
  plain?: boolean;
}

function fmtDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function stamp(): string {
  return new Date().toISOString().replace("T", " ").replace(/\..*$/, "");
}

/** At most one plain status line per step in this many milliseconds. */
export const PLAIN_UPDATE_INTERVAL_MS = 5000;

export class PlainProgress implements Progress {
  constructor(
    private readonly err: NodeJS.WritableStream,
    private readonly now: () => number = Date.now,
    private readonly interval = PLAIN_UPDATE_INTERVAL_MS,
  ) {}
  async step<T>(title: string, fn: (s: StepHandle) => Promise<T>): Promise<T> {
    const t0 = Date.now();
    this.err.write(`${stamp()} [start] ${title}\n`);
    let last = this.now();
    const update = (m: string) => {
      const t = this.now();
      if (t - last < this.interval) return;
      last = t;
      this.err.write(`${stamp()}         ${title}: ${m}\n`);
    };
    try {
      const r = await fn({ update });
      this.err.write(`${stamp()} [done ] ${title} (${fmtDuration(Date.now() - t0)})\n`);
      return r;
    } catch (e) {
      this.err.write(`${stamp()} [FAIL ] ${title} (${fmtDuration(Date.now() - t0)})\n`);
      throw e;
    }
  }
}

class ListrProgress implements Progress {
  async step<T>(title: string, fn: (s: StepHandle) => Promise<T>): Promise<T> {
    // listr2 9 ships a CommonJS build; load lazily so plain runs never pay for it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Listr } = require("listr2") as typeof import("listr2");
    let result: T | undefined;
    const t0 = Date.now();
    const list = new Listr(
      [
        {
          title,
          task: async (_ctx: unknown, task: { output: string; title: string }) => {
            result = await fn({ update: (m) => { task.output = m; } });
            task.title = `${title} (${fmtDuration(Date.now() - t0)})`;
          },
        },
      ],
      { exitOnError: true },
    );
    await list.run();
    return result as T;
  }
}

class SilentProgress implements Progress {
  async step<T>(_title: string, fn: (s: StepHandle) => Promise<T>): Promise<T> {
    return fn({ update: () => undefined });
  }
}

export function zwhOutput(opts: ZwhOutputOptions): Output {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const columns = (stderr as { columns?: number }).columns;
  const interactive = !!stdout.isTTY && !!stderr.isTTY && !opts.env.CI && !opts.plain &&
    opts.env.TERM !== "dumb" && !(columns !== undefined && columns <= 0);
  let progress: Progress;
  if (opts.json && !interactive) progress = new SilentProgress();
  else if (interactive) progress = new ListrProgress();
  else progress = new PlainProgress(stderr);
  return {
    info: (m) => { if (!opts.json) stdout.write(m.endsWith("\n") ? m : m + "\n"); },
    warn: (m) => { stderr.write(m.endsWith("\n") ? m : m + "\n"); },
    progress,
    fleet: () => (opts.json && !interactive ? silentReporter : interactive ? new LiveFleetProgress(stderr) : new PlainFleetProgress(stderr)),
  };
}
