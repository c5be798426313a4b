/** Options and results of the deploy pipeline's commands (deploy, rollback, status, lock). */
import type { VerifyBundleOptions } from "../bundle/verify";
import type { FileSequenceStore } from "../bundle/signing/sequence-state";
import type { DeployPlan } from "../core/plan";
import type { Progress } from "../core/progress";
import type { TargetSpec } from "../remote/target";
import type { RootLayout } from "./layout";
import type { RecordStore } from "./record";

export const DEPLOY_FORMAT_VERSION = 1;
export const DEFAULT_KEEP = 5;
export const DEFAULT_LOCK_TTL_S = 900;
/**
 * Names pip's venv bootstrap may add besides the manifest. Only when the fallback bootstraps pip
 * into the venv (ensurepip): with the interpreter's pip >= 22.3 the venv is created --without-pip
 * and the installed set is exactly the manifest.
 */
export const BOOTSTRAP_PACKAGES = ["pip", "setuptools", "wheel"];
/** First pip release with `pip --python` (run pip against another interpreter or venv). */
export const PIP_PYTHON_OPTION_MIN: readonly [number, number] = [22, 3];

export type DeployStepId = "connect" | "observe" | "verify-bundle" | "plan" | "lock" | "upload" | "stage" | "verify-target" | "install" | "verify-install" | "activate" | "prune" | "record";

export interface DeployHooks {
  /** Test seam: called right before a step runs (fault injection, tampering). */
  beforeStep?: (step: DeployStepId, info: { layout: RootLayout; releaseId?: string }) => Promise<void> | void;
}

export interface CommonOptions {
  spec: TargetSpec;
  root: string;
  progress: Progress;
  warn: (m: string) => void;
  store?: RecordStore;
  env?: NodeJS.ProcessEnv;
  argv?: string[];
}

export interface DeployOptions extends CommonOptions {
  bundleDir: string;
  trustPath: string;
  keep?: number;
  smoke?: string;
  /** Reinstall into a fresh release even when the bundle's release is current (after drift). */
  repair?: boolean;
  dryRun?: boolean;
  lockTtlSeconds?: number;
  heartbeatMs?: number;
  hooks?: DeployHooks;
  now?: Date;
  /** Offline vulnerability gate run in the local verification (bundle verify step 9). */
  vulnGate?: VerifyBundleOptions["vulnGate"];
  /** The workstation's rollback cache (bundle verify reads the same file); refreshed from the target. */
  sequenceCache?: FileSequenceStore;
  /** Deliberately install a statement older than the target accepted (recorded). */
  allowDowngrade?: boolean;
}

export interface StepTiming {
  step: DeployStepId;
  ms: number;
  bytes?: number;
}

export interface DeployResult {
  formatVersion: number;
  runId: string;
  host: string;
  root: string;
  bundle: {
    id: string; channel: string; sequence: number; statementDigest: string; wheels: number; signers: Array<{ keyid: string; name: string }>;
    /** "full", or "statement" when the release was already current (wheels not re-read locally). */
    verification: "full" | "statement";
  };
  releaseId: string;
  /** The bundle against the target's accepted bound for its (trust root, channel). */
  sequence: { trustRoot: string | null; accepted: number | null; downgrade: boolean };
  action: DeployPlan["action"];
  changed: boolean;
  dryRun: boolean;
  plan: DeployPlan;
  current: string | null;
  previous: string | null;
  upload: { files: number; bytes: number; helperFiles: number; skipped: number };
  installed: Array<{ name: string; version: string; sha256?: string }>;
  bootstrap: Array<{ name: string; version: string }>;
  pruned: string[];
  steps: StepTiming[];
  durationMs: number;
  warnings: string[];
  targetFactsCached: boolean;
  /** What this deploy cost the target link: command round trips, Python interpreter starts, file requests. */
  roundTrips: { execs: number; pythonStarts: number; fileOps: number };
}
