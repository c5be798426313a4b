/**
 * Before pip runs: the target re-reads every wheel of the release with its own Python's zipfile
 * (the reader pip uses) and compares the member layout this run verified (or, without one, the
 * member list the signed statement carries: names, sizes, sha256) and the start-up hooks
 * (zwh_deploy.py wheel-members). A zip that reads differently there than on the workstation is refused before
 * anything is installed (issue 8: reader differentials). The statement it reads is the one the
 * same batch has just hash-checked and signature-checked on the target.
 */
import { ZwhError, refusal } from "../core/errors";
import { parseJsonLine } from "../remote/json-line";
import { ISOLATED } from "../remote/transport";
import type { BatchResult, TargetOps } from "./target-ops";

/**
 * argv of the check; isolated, without site: nothing of the release runs. `expectFile` (the
 * staging release JSON, re-hashed in the same batch) carries the member layout the workstation
 * verified per wheel: those wheels are compared by layout and not inflated again (member-list.ts).
 */
export function wheelMembersArgv(ops: TargetOps, rdir: string, expectFile?: string): string[] {
  return ops.helperArgv("zwh_deploy.py", ["wheel-members", "--statement", `${rdir}/manifest.intoto.json`, "--wheels-dir", `${rdir}/wheels`,
    ...(expectFile ? ["--expect-file", expectFile] : [])], ISOLATED);
}

/** Throws the refusal for a failed check (exit 3), or a helper error when it printed no verdict. */
export function checkWheelMembers(res: BatchResult, host: string, rdir: string): void {
  const j = parseJsonLine(res.stdout);
  if (res.code === 0 && j?.ok === true) return;
  if (res.code !== 3 || !j) {
    throw new ZwhError("ZWH-DEPLOY-HELPER", `the wheel member check on ${host} failed (exit ${res.code}): ${String((j?.error as Record<string, unknown> | undefined)?.message ?? res.stdout.slice(-300))}`, {
      subject: host, details: { exitCode: res.code, helper: j },
    });
  }
  const err = (j.error ?? {}) as Record<string, unknown>;
  const bad = ((j.wheels ?? []) as Array<Record<string, unknown>>).filter((w) => w.ok !== true);
  const code = String(err.code ?? "ZWH-DEPLOY-WHEEL-MEMBERS");
  throw refusal(code, `${host}: ${bad.length} wheel(s) read differently by the target's zipfile (pip's reader) than the workstation verified: ${String(err.message ?? "")}`, {
    subject: String(err.subject ?? rdir),
    details: { wheels: bad },
    hint: code === "ZWH-WHEEL-STARTUP-HOOK"
      ? "A .pth start-up hook the signed policy does not allow. Nothing was installed and current is unchanged."
      : "The wheel's zip structure is read differently by different zip readers (a hostile or broken archive). Nothing was installed and current is unchanged. Do not deploy this bundle; rebuild the wheel with a standard tool.",
  });
}
