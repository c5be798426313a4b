/**
 * A fleet run's local verification, once for all its hosts: the bundle (directory or `bundle
 * pack` archive) checked before anything connects.
 */
import { loadTrust, type Trust } from "../bundle/signing/trust";
import { loadAndVerifyBundle, verifyFilesOnce, type FilesVerified } from "../bundle/verify";
import { localBundle } from "../deploy/local-bundle";
import type { FleetHost } from "./types";

/**
 * Verify the bundle once for the run: every file fully against the first trust file (the wheels
 * do not depend on the target, so the hosts re-check only their statement, platform, closure,
 * policy and sequence: filesVerified), and the statement against every other distinct trust file.
 */
export async function verifyOnce(bundle: string, hosts: readonly FleetHost[]): Promise<{ dir: string; trusts: Map<string, Trust>; files: FilesVerified; cleanup: () => void }> {
  const paths = [...new Set(hosts.map((h) => h.trustPath))];
  const trusts = new Map(paths.map((p) => [p, loadTrust(p)] as const));
  const first = await localBundle(bundle, trusts.get(paths[0]!)!);
  try {
    const files = await verifyFilesOnce(first.dir, { trust: trusts.get(paths[0]!)! });
    for (const p of paths.slice(1)) await loadAndVerifyBundle(first.dir, { trust: trusts.get(p)!, statementOnly: true });
    return { dir: first.dir, trusts, files, cleanup: first.cleanup };
  } catch (e) {
    first.cleanup();
    throw e;
  }
}

