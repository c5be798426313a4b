/**
 * deploy's local inputs, checked before anything connects: the bundle path (a directory, or a
 * `bundle pack` archive, unpacked with all of unpack's checks into a private temporary directory
 * removed afterwards), and the bundle's statement with its signatures and expiry (the
 * statement-only verification; the full one, against the target's facts, follows the connect).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ZwhError } from "../core/errors";
import { BUNDLE } from "../bundle/codes";
import type { Trust } from "../bundle/signing/trust";
import { unpackBundle } from "../bundle/tar";
import { loadAndVerifyBundle } from "../bundle/verify";

export async function localBundle(arg: string, trust: Trust): Promise<{ dir: string; archive: string | null; cleanup: () => void }> {
  if (arg === "") throw new ZwhError("ZWH-ARGS-MISSING", "missing the bundle to deploy", { hint: "Give a bundle directory (zwh bundle create) or an archive (zwh bundle pack)." });
  let st: fs.Stats;
  try {
    st = fs.statSync(arg);
  } catch (e) {
    throw new ZwhError(BUNDLE.IO, `cannot read bundle ${arg}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      subject: arg, hint: "Give a bundle directory (zwh bundle create) or an archive (zwh bundle pack).", cause: e,
    });
  }
  let dir = arg;
  let archive: string | null = null;
  let cleanup = (): void => undefined;
  if (!st.isDirectory()) {
    // Not a directory: a `bundle pack` archive (listTar refuses FIFOs and devices without blocking).
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-deploy-bundle-"));
    cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
    archive = arg;
    try {
      dir = (await unpackBundle(arg, path.join(tmp, "bundle"))).dir;
    } catch (e) {
      cleanup();
      throw e;
    }
  }
  try {
    await loadAndVerifyBundle(dir, { trust, statementOnly: true });
  } catch (e) {
    cleanup();
    throw e;
  }
  return { dir, archive, cleanup };
}
