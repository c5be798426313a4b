/**
 * The per-host progress deadline: a host that reports no progress for `ms` is stalled. Every
 * progress event of the host (a step starting, a status line, a step ending) pushes the deadline
 * back; when it passes, `onExpire` runs once (the runner closes the host's session there, which
 * fails whatever is in flight on it) and `expired` stays true.
 */
import type { Progress, StepHandle } from "../core/progress";

export class ProgressDeadline {
  private timer: NodeJS.Timeout | undefined;
  private fired = false;
  private lastStep = "connect";

  constructor(private readonly ms: number, private readonly onExpire: (step: string) => void) {}

  start(): void {
    this.touch();
  }

  /** Progress was made: restart the countdown. */
  touch(step?: string): void {
    if (step) this.lastStep = step;
    if (this.fired) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.onExpire(this.lastStep);
    }, this.ms);
    this.timer.unref?.();
  }

  get expired(): boolean {
    return this.fired;
  }

  /** The step that was running when the deadline passed (or the last one seen). */
  get step(): string {
    return this.lastStep;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Wrap a Progress so each of its events refreshes this deadline (and is passed on). */
  wrap(inner: Progress, onStep?: (title: string, message?: string) => void): Progress {
    return {
      step: <T>(title: string, fn: (s: StepHandle) => Promise<T>): Promise<T> => {
        this.touch(title);
        onStep?.(title);
        return inner.step(title, async (h) => {
          try {
            return await fn({
              update: (m: string) => {
                this.touch(title);
                onStep?.(title, m);
                h.update(m);
              },
            });
          } finally {
            this.touch();
          }
        });
      },
    };
  }
}
