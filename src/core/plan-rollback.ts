/**
 * The rollback planner: pure. From what was observed on the target (and the release asked for,
 * if any) decide whether `current` moves and to which release, with the steps apply will run.
 *   noop      the release is already current
 *   activate  take the lock, re-check the release (venv, every file against RECORD), switch
 *             `current` to it (previous := the old current), audit + unlock.
 */
import type { PlanBlocker, PlanStep } from "./plan";

export interface RollbackObserved {
  current: string | null;
  previous: string | null;
  releases: string[];
}

export interface RollbackPlan {
  action: "noop" | "activate";
  from: string | null;
  /** null when blocked (nothing to roll back to). */
  to: string | null;
  steps: PlanStep[];
  blockers: PlanBlocker[];
}

/** `to`: an explicit release id (already syntax-checked), else the observed previous release. */
export function planRollback(obs: RollbackObserved, where: { host: string; root: string }, to?: string): RollbackPlan {
  const target = to ?? obs.previous;
  const base = { from: obs.current, steps: [] as PlanStep[] };
  if (!target) {
    return {
      ...base, action: "activate", to: null,
      blockers: [{
        code: "ZWH-ROLLBACK-NO-PREVIOUS", message: `${where.host} ${where.root} has no previous release to roll back to`,
        hint: "Name a release with --release (see 'zwh status' for the releases on the target).",
      }],
    };
  }
  if (!obs.releases.includes(target)) {
    return {
      ...base, action: "activate", to: target,
      blockers: [{
        code: "ZWH-ROLLBACK-UNKNOWN-RELEASE", message: `release ${target} does not exist under ${where.root}/releases on ${where.host}`,
        hint: `Releases there: ${obs.releases.join(", ") || "none"}.`,
      }],
    };
  }
  if (obs.current === target) {
    return { action: "noop", from: target, to: target, blockers: [], steps: [{ id: "none", title: "Nothing to do", reason: `${target} is already current` }] };
  }
  return {
    ...base, action: "activate", to: target, blockers: [],
    steps: [
      { id: "lock", title: "Acquire the deployment lock", reason: "one deployment per install root at a time (atomic mkdir)" },
      { id: "inspect", title: `Check release ${target} is intact (venv, RECORD)`, reason: "never switch to a damaged release" },
      { id: "activate", title: `Activate ${target}`, reason: obs.current ? `current is ${obs.current}` : "nothing is active" },
      { id: "record", title: "Record", reason: "audit log, inventory" },
    ],
  };
}
