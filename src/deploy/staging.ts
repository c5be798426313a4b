/** The upload side of an install: staging files and the target's content-addressed wheel store. */
import { chunks } from "../core/chunks";
import { ZwhError } from "../core/errors";
import { chtagCommands } from "../remote/tags";
import type { BatchResult, TargetOps } from "./target-ops";

/**
 * ONE exec before the upload (we hold the lock): remove leftovers of interrupted runs, create the
 * staging dir, create every file empty (mode 0644) and tag it (chtag -b for wheels, chtag -t -c
 * ISO8859-1 for text) — what `rm` exec + SFTP mkdirp + TargetOps.precreate did in two execs and
 * ~N+8 SFTP round trips. No byte is written before the tag is set; the ls -T after the writes checks it.
 */
export async function prepareStaging(ops: TargetOps, staging: string, files: Array<{ path: string; kind: "text" | "binary" }>): Promise<void> {
  const prep = stagingCommands(ops, staging, files);
  prep.check(await ops.batch(prep.cmds, { label: "prepare staging + chtag" }));
}

/** prepareStaging's commands, to run in another batch (the lock's), and the check of their results. */
export function stagingCommands(ops: TargetOps, staging: string, files: Array<{ path: string; kind: "text" | "binary" }>): { cmds: string[][]; check: (res: BatchResult[]) => void } {
  const all = files.map((f) => f.path);
  const cmds: string[][] = [["rm", "-rf", ops.layout.stagingBase], ["mkdir", "-p", "-m", "755", staging]];
  for (const c of chunks(all, 200)) cmds.push(["touch", ...c], ["chmod", "644", ...c]);
  const firstTag = cmds.length;
  cmds.push(...chtagCommands(files));
  return { cmds, check: (res) => checkStaging(ops, staging, cmds, firstTag, res) };
}

function checkStaging(ops: TargetOps, staging: string, cmds: string[][], firstTag: number, res: BatchResult[]): void {
  const bad = res.findIndex((r, i) => i > 0 && r.code !== 0);
  if (bad < 0) return;
  if (bad < firstTag) {
    throw new ZwhError("ZWH-REMOTE-COMMAND", `creating the staging files failed on ${ops.host} (${cmds[bad][0]} exit ${res[bad].code}): ${res[bad].stdout.trim().slice(-300)}`, {
      subject: staging, details: { command: cmds[bad].slice(0, 4), exitCode: res[bad].code },
    });
  }
  throw ops.chtagFailed(cmds[bad], res[bad].code);
}

/** Re-hash the release's store wheels and remove the ones that no longer match, so a re-run re-uploads them. */
export async function quarantineCorrupt(ops: TargetOps, releaseJson: string): Promise<string[]> {
  try {
    const r = await ops.helper("zwh_target.py", ["hash", "--expect-file", releaseJson], { label: "re-hash store", allow: [0, 1, 3] });
    return await removeFromStore(ops, ((r.json.mismatches ?? []) as Array<Record<string, unknown>>).map((m) => String(m.path)));
  } catch {
    return [];
  }
}

/** Remove the paths that lie in the wheel store (best effort); returns them. */
export async function removeFromStore(ops: TargetOps, paths: string[]): Promise<string[]> {
  const inStore = paths.filter((x) => x.startsWith(`${ops.layout.store}/`));
  if (inStore.length) await ops.batch([["rm", "-f", ...inStore]], { label: "quarantine" }).catch(() => undefined);
  return inStore;
}
