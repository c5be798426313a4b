/**
 * A single-host deploy verifies the bundle's FILES (hashes, every wheel against its RECORD: the
 * part that does not depend on the target) while it connects and observes, so the verify-bundle
 * step then re-checks only what depends on the target (platform, closure, policy, lock, sequence:
 * VerifyBundleOptions.filesVerified, the fleet's verify-once path). Nothing is sent before that
 * step passes, as before.
 *
 * Not started when the inventory records this very statement as the target root's active
 * release: a re-deploy of the current bundle re-checks only the statement and needs no file pass.
 * When observe shows the same anyway, the file pass is stopped (its worker threads terminated).
 * A failed early pass is not reported from here: verify-bundle then runs the full verification
 * and reports its findings as always.
 */
import { bundleStatementDigest } from "../bundle/peek";
import { bareDigest } from "../core/digest";
import type { Trust } from "../bundle/signing/trust";
import { verifyFilesOnce, type FilesVerified } from "../bundle/verify";
import type { TargetSpec } from "../remote/target";
import { checkRoot } from "./layout";
import { resolveHostName, type RecordStore } from "./record";

export interface EarlyVerify {
  /** The file-level result, or undefined when the early pass failed or was stopped. */
  result: Promise<FilesVerified | undefined>;
  stop(): void;
}

export async function startEarlyVerify(o: {
  bundleDir: string; trust: Trust; spec: TargetSpec; root: string; store?: Pick<RecordStore, "findHostByAddress" | "hostStatus">; now?: Date;
}): Promise<EarlyVerify | undefined> {
  const digest = bundleStatementDigest(o.bundleDir);
  if (!digest) return undefined;
  if (o.store) {
    try {
      const name = await resolveHostName(o.store, o.spec);
      const st = await o.store.hostStatus(name, checkRoot(o.root));
      if (st.active?.bundleDigest && bareDigest(st.active.bundleDigest) === bareDigest(digest)) return undefined;
    } catch {
      /* unknown host or root: a first deploy there */
    }
  }
  const ac = new AbortController();
  // Stopped means unused, even when the pass finished anyway (small sets run in-process and
  // cannot be interrupted).
  const result = verifyFilesOnce(o.bundleDir, { trust: o.trust, now: o.now, pool: { signal: ac.signal } })
    .then((v) => (ac.signal.aborted ? undefined : v), () => undefined);
  return { result, stop: () => ac.abort() };
}
