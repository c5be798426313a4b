/**
 * Read-only commands (`status`, `lock status`) never write to the install root: a missing root
 * is ZWH-ROOT-NOT-FOUND (not "current: none" plus helper files created under <root>/.wheelhouse),
 * and helpers missing from <root>/.wheelhouse/helpers are run from a private per-run directory
 * under /tmp that is removed afterwards (the same approach as `target probe`).
 */
import { ZwhError } from "../core/errors";
import { tempSuffix } from "../remote/temp-name";
import type { TargetOps } from "./target-ops";

/** Where a read-only run's temporary helpers go (z/OS UNIX always has /tmp). */
export const READ_ONLY_TMP_BASE = "/tmp";

/**
 * Check the root exists and make the helpers runnable without writing under it. Returns the
 * cleanup to call when the command is done (removes the temporary directory, if one was made).
 */
export async function prepareReadOnly(ops: TargetOps): Promise<() => Promise<void>> {
  const root = ops.layout.root;
  const st = await ops.session.exists(root);
  if (!st || !st.isDirectory) {
    throw new ZwhError("ZWH-ROOT-NOT-FOUND", `the install root ${root} does not exist on ${ops.host}${st ? " (it is not a directory)" : ""}`, {
      subject: root,
      details: { host: ops.host, root },
      hint: "Check --root (and the wheelhouse profile's deployRoot). 'zwh deploy' creates the root; read-only commands never do.",
    });
  }
  const files = Object.values(ops.helpers);
  const present = await Promise.all(files.map((f) => ops.session.exists(f.remotePath)));
  if (files.every((f, i) => present[i]?.isFile && present[i]!.size === f.data.length)) return async () => undefined;
  const dir = `${READ_ONLY_TMP_BASE}/zwh-ro-${tempSuffix()}`;
  await ops.session.mkdirp(dir, 0o700);
  const cleanup = async () => {
    await ops.session.exec(["rm", "-rf", dir], { label: "rm read-only helper dir" }).catch(() => undefined);
  };
  try {
    for (const f of files) f.remotePath = `${dir}/${f.remotePath.slice(f.remotePath.lastIndexOf("/") + 1)}`;
    await ops.writeTagged(files.map((f) => ({ path: f.remotePath, data: f.data, kind: "text" as const })));
  } catch (e) {
    await cleanup();
    throw e;
  }
  return cleanup;
}
