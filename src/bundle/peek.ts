/**
 * Unverified early reads of a bundle's statement, only to ask the target the right questions
 * before the full verification (which may be skipped when the release is already current).
 * Nothing read here is trusted: the plan is computed from the verified bundle.
 */
import { readFileSync } from "fs";
import { join } from "path";
import type { PlanWheel } from "../core/plan";
import { statementDigest } from "./signing/sequence-state";

/** The statement's wheel list, for the target's store query (entries that do not look right are dropped). */
export function peekWheels(bundleDir: string): PlanWheel[] {
  try {
    const st = JSON.parse(readFileSync(join(bundleDir, "manifest.intoto.json"), "utf8")) as { predicate?: { wheels?: PlanWheel[] } };
    return (st.predicate?.wheels ?? []).filter((w) => typeof w.sha256 === "string" && /^[0-9a-f]{64}$/.test(w.sha256) && typeof w.filename === "string" && !w.filename.includes("/") && Number.isInteger(w.size));
  } catch {
    return [];
  }
}

/** "sha256:<hex>" of the bundle's manifest.intoto.json, or undefined when it cannot be read. */
export function bundleStatementDigest(bundleDir: string): string | undefined {
  try {
    return statementDigest(readFileSync(join(bundleDir, "manifest.intoto.json")));
  } catch {
    return undefined;
  }
}
