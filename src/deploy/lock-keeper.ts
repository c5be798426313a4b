/**
 * Keep the deployment lock alive while a deploy works under it, and NOTICE when it is gone.
 *
 * From acquisition to activation a heartbeat (zwh_target.py lock heartbeat) renews the lock every
 * interval. A heartbeat answered "lost" (exit 3: the lock was broken, or is someone else's now)
 * marks the run as having lost its lock, and `assertHeld` (called before every step) stops it
 * with ZWH-LOCK-LOST before anything else changes. A heartbeat that fails for other reasons (a
 * slow exec, a dropped channel) is not proof of loss; the activation itself checks the lock id
 * atomically with the swap (zwh_target.py activate --lock-id), so a loss between two heartbeats
 * is still caught before `current` moves.
 */
import { refusal, type ZwhError } from "../core/errors";
import { describeOwner } from "../core/plan";
import type { TargetOps } from "./target-ops";

export function lockLostError(host: string, root: string, lockId: string, owner: Record<string, unknown> | null, step: string): ZwhError {
  return refusal("ZWH-LOCK-LOST", `${host}: this deploy lost its lock ${lockId} on ${root} before '${step}' (${owner ? `it is now held by ${describeOwner(owner)}` : "the lock was broken"}); nothing was activated`, {
    subject: root,
    details: { lockId, owner, step },
    hint: "Someone broke the lock ('lock break') or another run took over. 'current' was not changed. Check 'zwh lock status' and the audit log, then re-run the deploy.",
  });
}

export class LockKeeper {
  private timer: NodeJS.Timeout | undefined;
  private lost: { owner: Record<string, unknown> | null } | undefined;
  private beat: Promise<void> = Promise.resolve();

  constructor(private readonly ops: TargetOps, readonly lockId: string, private readonly ttlSeconds: number) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.beat = this.beat.then(() => this.heartbeat());
    }, intervalMs);
  }

  private args(): string[] {
    return ["lock", "heartbeat", "--root", this.ops.layout.root, "--lock-id", this.lockId, "--ttl", String(this.ttlSeconds)];
  }

  /** One heartbeat now; records a loss. */
  async heartbeat(): Promise<void> {
    if (this.lost || this.ops.session.closed) return;
    try {
      const r = await this.ops.helper("zwh_target.py", this.args(), { label: "lock heartbeat" });
      if (r.code === 3) this.lost = { owner: (r.json.owner ?? null) as Record<string, unknown> | null };
    } catch {
      /* not proof of loss: activation re-checks the lock id */
    }
  }

  /** A heartbeat to run inside another batch (saves a round trip); give its result to `noteBeat`. */
  beatArgv(): string[] {
    return this.ops.helperArgv("zwh_target.py", this.args());
  }

  noteBeat(r: { code: number; stdout: string }): void {
    if (r.code !== 3) return; // anything else is not proof of loss (see heartbeat)
    try {
      const j = this.ops.helperOutcome("zwh_target.py", this.args(), r);
      this.lost = { owner: (j.json.owner ?? null) as Record<string, unknown> | null };
    } catch {
      /* no verdict printed: not proof of loss */
    }
  }

  /** Throw ZWH-LOCK-LOST if a heartbeat found the lock gone. */
  assertHeld(step: string): void {
    if (this.lost) throw lockLostError(this.ops.host, this.ops.layout.root, this.lockId, this.lost.owner, step);
  }

  get isLost(): boolean {
    return this.lost !== undefined;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beat;
  }
}
