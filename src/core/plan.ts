/**
 * The deploy planner: pure (no I/O). Given the verified bundle and what was observed on the
 * target, decide what must happen, and say why for every step (`--dry-run` prints this).
 *
 *   noop      the bundle's release is current and its receipt is complete and matches the
 *             statement digest: nothing changes, 0 bytes are uploaded, no lock is taken.
 *   activate  the release directory exists intact (complete receipt, same digest) but is not
 *             current: re-check it (inspect-release with RECORD verification) and swap `current`.
 *   install   upload the wheels the host's content-addressed store lacks (by sha256), build the
 *             release (fresh venv, hardened offline pip), verify, activate.
 * Blockers (refusals) are reported in the plan too, so a dry run shows them.
 */

export interface PlanWheel {
  filename: string;
  name: string;
  version: string;
  sha256: string;
  size: number;
}

export interface PlanBundle {
  bundleId: string;
  channel: string;
  sequence: number;
  /** "sha256:<hex>" of the statement bytes. */
  statementDigest: string;
  releaseId: string;
  wheels: PlanWheel[];
}

export interface ObservedRelease {
  id: string;
  /** receipt.json says the release finished building (written last, before activation). */
  complete: boolean;
  statementDigest?: string;
}

export interface ObservedLock {
  held: boolean;
  stale: boolean;
  owner: Record<string, unknown> | null;
}

export interface ObservedState {
  rootExists: boolean;
  /** Release id `current` points at (null when absent or not a release). */
  current: string | null;
  /** "link" | "absent" | "other" (a real file or directory: refused). */
  currentKind: string;
  previous: string | null;
  releases: ObservedRelease[];
  /** sha256 hex of the bundle's wheels already present (right size) in the store. */
  storePresent: string[];
  lock: ObservedLock;
  trustPresent: boolean;
}

export type PlanAction = "noop" | "activate" | "install";

export interface PlanStep {
  id: string;
  title: string;
  reason: string;
}

export interface PlanBlocker {
  code: string;
  message: string;
  hint?: string;
}

export interface DeployPlan {
  action: PlanAction;
  releaseId: string;
  currentRelease: string | null;
  previousRelease: string | null;
  upload: PlanWheel[];
  uploadBytes: number;
  reuse: PlanWheel[];
  /** An existing but incomplete (or foreign) releases/<id> that will be rebuilt. */
  rebuild: boolean;
  steps: PlanStep[];
  blockers: PlanBlocker[];
  summary: string;
}

export interface PlanOptions {
  keep: number;
  smoke?: string;
  /**
   * Reinstall the bundle into a fresh release directory (`<id>+r<n>`) even when its release is
   * current: drift found the installed tree damaged, and a damaged tree is never reused.
   */
  repair?: boolean;
}

const REPAIR_SUFFIX = /\+r(\d+)$/;

/** `<rid>`, `<rid>+r1`, `<rid>+r2`…: the repair generation of a release id of this bundle (-1: another bundle's). */
function generation(id: string, rid: string): number {
  if (id === rid) return 0;
  const m = REPAIR_SUFFIX.exec(id);
  return m && id.slice(0, m.index) === rid ? Number(m[1]) : -1;
}

/** The next free repair release id for `rid`. */
export function nextRepairId(rid: string, releases: readonly { id: string }[]): string {
  const n = releases.reduce((a, r) => Math.max(a, generation(r.id, rid)), 0);
  return `${rid}+r${n + 1}`;
}

/** "512 B", "1.5 KiB", "3.2 MiB": sizes in plans, progress lines and results. */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function planDeploy(bundle: PlanBundle, obs: ObservedState, opts: PlanOptions): DeployPlan {
  // The bundle's releases: its own id and its repairs, complete and built from this statement.
  const mine = obs.releases
    .filter((r) => generation(r.id, bundle.releaseId) >= 0 && r.complete && r.statementDigest === bundle.statementDigest)
    .sort((a, b) => generation(b.id, bundle.releaseId) - generation(a.id, bundle.releaseId));
  const preferred = mine.find((r) => r.id === obs.current) ?? mine[0];
  const rid = opts.repair ? nextRepairId(bundle.releaseId, obs.releases) : preferred?.id ?? bundle.releaseId;
  const existing = obs.releases.find((r) => r.id === rid);
  const intact = !opts.repair && !!existing && existing.complete && existing.statementDigest === bundle.statementDigest;
  const blockers: PlanBlocker[] = [];
  const steps: PlanStep[] = [];
  const base = {
    releaseId: rid,
    currentRelease: obs.current,
    previousRelease: obs.previous,
  };

  if (obs.currentKind === "other") {
    blockers.push({
      code: "ZWH-DEPLOY-CURRENT-NOT-LINK",
      message: "<root>/current exists and is not a symbolic link; Wheelhouse will not replace it",
      hint: "Move it away by hand (it was not created by Wheelhouse), then deploy again.",
    });
  }

  if (obs.current === rid && intact) {
    return {
      action: "noop", ...base, upload: [], uploadBytes: 0, reuse: [...bundle.wheels], rebuild: false,
      steps: [{ id: "none", title: "Nothing to do", reason: `release ${rid} is already current and its receipt matches the bundle (${bundle.statementDigest.slice(0, 19)}…)` }],
      blockers: [],
      summary: `${rid} is already current: nothing to do (0 bytes to upload)`,
    };
  }

  if (!obs.trustPresent) {
    blockers.push({
      code: "ZWH-DEPLOY-TARGET-TRUST-MISSING",
      message: "the target has no trust anchors (<root>/.wheelhouse/trust.json), so it cannot check the bundle signature itself",
      hint: "An administrator installs them once with 'zwh target trust --trust FILE' (same target options and --root).",
    });
  }
  if (obs.lock.held) {
    const o = obs.lock.owner ?? {};
    blockers.push({
      code: "ZWH-LOCK-HELD",
      message: `the target root is locked${obs.lock.stale ? " (STALE)" : ""} by ${describeOwner(o)}`,
      hint: obs.lock.stale
        ? "The lock looks stale. Check that run is gone, then 'zwh lock break' (same target options and --root)."
        : "Wait for the other deployment to finish, or check with 'zwh lock status'.",
    });
  }

  const lockStep: PlanStep = { id: "lock", title: "Acquire the deployment lock", reason: "one deployment per install root at a time (atomic mkdir)" };

  if (intact) {
    steps.push(lockStep);
    steps.push({ id: "inspect", title: `Re-check release ${rid}`, reason: "the release directory already exists with a complete receipt; its venv and every installed file (RECORD) are verified before it is re-activated" });
    steps.push({ id: "activate", title: `Activate ${rid}`, reason: obs.current ? `current is ${obs.current}` : "nothing is active yet" });
    steps.push(pruneStep(opts.keep));
    steps.push({ id: "record", title: "Record", reason: "inventory, audit log, channel sequence" });
    return {
      action: "activate", ...base, upload: [], uploadBytes: 0, reuse: [...bundle.wheels], rebuild: false, steps, blockers,
      summary: `re-activate existing release ${rid} (0 bytes to upload)`,
    };
  }

  const present = new Set(obs.storePresent);
  const upload = bundle.wheels.filter((w) => !present.has(w.sha256));
  const reuse = bundle.wheels.filter((w) => present.has(w.sha256));
  const uploadBytes = upload.reduce((a, w) => a + w.size, 0);
  const rebuild = !!existing;
  steps.push(lockStep);
  steps.push(
    upload.length > 0
      ? { id: "upload", title: `Upload ${upload.length} wheel(s), ${fmtBytes(uploadBytes)}`, reason: `the host's store lacks them by sha256${reuse.length ? `; ${reuse.length} already there` : ""}` }
      : { id: "upload", title: "Upload nothing", reason: `all ${bundle.wheels.length} wheel(s) are already in the host's store` },
  );
  steps.push({ id: "stage", title: `Stage release ${rid}`, reason: opts.repair ? `--repair: a fresh release directory${obs.current ? ` (${obs.current} is left as it is until the swap)` : ""}` : rebuild ? "an incomplete or different releases/" + rid + " exists and is rebuilt from scratch" : "new release directory with the bundle's lock file, statement and signatures (tagged ISO8859-1)" });
  steps.push({ id: "verify-target", title: "Verify the signature on the target", reason: "the target checks the statement against its own trust anchors (dsse_verify.py), and re-hashes the store wheels" });
  steps.push({ id: "install", title: "Create venv and install offline", reason: "fresh venv; pip --no-index --require-hashes --only-binary=:all: --isolated (already-installed packages are never hash-checked, so never reuse a venv)" });
  steps.push({ id: "verify-install", title: "Verify the installed set", reason: "pip check, pip inspect = manifest, every installed file against its RECORD" + (opts.smoke ? ", smoke import" : "") });
  steps.push({ id: "activate", title: `Activate ${rid}`, reason: obs.current ? `swap current from ${obs.current} (kept as previous)` : "first release on this root" });
  steps.push(pruneStep(opts.keep));
  steps.push({ id: "record", title: "Record", reason: "receipt.json, audit log, inventory, channel sequence" });
  return {
    action: "install", ...base, upload, uploadBytes, reuse, rebuild, steps, blockers,
    summary: `${opts.repair ? "repair: reinstall into" : "install"} ${rid}: upload ${upload.length}/${bundle.wheels.length} wheel(s) (${fmtBytes(uploadBytes)})`,
  };
}

export function describeOwner(o: Record<string, unknown>): string {
  const who = [o.user ?? o.who, o.controller_host ? `on ${String(o.controller_host)}` : undefined, o.controller_pid ? `pid ${String(o.controller_pid)}` : undefined]
    .filter(Boolean).join(" ");
  const what = [o.operation, o.bundle ? `bundle ${String(o.bundle)}` : undefined, o.run_id ? `run ${String(o.run_id)}` : undefined].filter(Boolean).join(", ");
  return `${who || "unknown owner"}${what ? ` (${what})` : ""}${o.created_at ? ` since ${String(o.created_at)}` : ""}${o.lock_id ? ` [lock ${String(o.lock_id)}]` : ""}`;
}

export function renderPlan(plan: DeployPlan): string {
  const lines = [`Plan: ${plan.summary}`];
  plan.steps.forEach((s, i) => lines.push(`  ${i + 1}. ${s.title}\n       why: ${s.reason}`));
  for (const b of plan.blockers) lines.push(`  BLOCKED ${b.code}: ${b.message}${b.hint ? `\n       ${b.hint}` : ""}`);
  return lines.join("\n");
}

/** The prune step, in the words of --keep: N releases besides current and previous. */
function pruneStep(keep: number): PlanStep {
  return { id: "prune", title: `Prune: keep current, previous and the ${keep} newest other release(s)`, reason: "older releases are removed; current and previous never" };
}
