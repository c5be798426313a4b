/**
 * `zwh target trust`: install the trust anchors the target itself checks bundle signatures
 * against (dsse_verify.py --trust). An explicit admin step, separate from deploy, so a deploy
 * can never change what the target trusts. The file is validated locally first, written as
 * tagged ISO8859-1 text (create → chtag → write → ls -T), made read-only (0444) and renamed
 * into place atomically. A trust file with a LOWER version than the installed one is refused
 * (versions only go up on rotation).
 */
import { createHash } from "crypto";
import { readFileSync } from "fs";
import { hostname, userInfo } from "os";
import { ZwhError, refusal } from "../core/errors";
import { loadTrust } from "../bundle/signing/trust";
import { DEFAULT_PYTHON } from "../remote/target";
import type { Progress } from "../cli/framework/types";
import { connectTarget } from "../remote/connection";
import type { TargetSpec } from "../remote/target";
import { checkRoot, layoutFor } from "./layout";
import { TargetOps } from "./target-ops";

export interface TrustInstallResult {
  host: string;
  root: string;
  path: string;
  sha256: string;
  version: number;
  threshold: number;
  channels: string[];
  keys: Array<{ keyid: string; name: string; type: string }>;
  changed: boolean;
  previous: { sha256: string; version: number | null } | null;
}

export async function installTargetTrust(o: { spec: TargetSpec; root: string; trustPath: string; progress: Progress; env?: NodeJS.ProcessEnv; force?: boolean }): Promise<TrustInstallResult> {
  const root = checkRoot(o.root);
  const layout = layoutFor(root);
  const trust = loadTrust(o.trustPath); // validates; throws on a bad file
  const bytes = readFileSync(o.trustPath);
  const sha = createHash("sha256").update(bytes).digest("hex");
  const host = o.spec.port === 22 ? o.spec.host : `${o.spec.host}:${o.spec.port}`;
  const session = await o.progress.step(`Connect to ${o.spec.user}@${host}`, () => connectTarget(o.spec, { env: o.env ?? process.env }));
  try {
    const ops = new TargetOps(session, layout, o.spec.pythonPath ?? DEFAULT_PYTHON);
    return await o.progress.step("Install the target trust anchors", async () => {
      await session.mkdirp(layout.wh, 0o755);
      let previous: TrustInstallResult["previous"] = null;
      if (await session.exists(layout.trust)) {
        const old = await session.readFile(layout.trust);
        let ver: number | null = null;
        try {
          ver = Number((JSON.parse(old.toString("utf8")) as { version?: number }).version ?? null);
        } catch {
          ver = null;
        }
        previous = { sha256: createHash("sha256").update(old).digest("hex"), version: ver };
        if (ver !== null && ver > trust.doc.version && !o.force) {
          throw refusal("ZWH-TRUST-DOWNGRADE", `the target already has trust version ${ver}; refusing to install older version ${trust.doc.version}`, {
            subject: layout.trust, hint: "Install the current trust file (versions only increase on key rotation), or pass --force if this is intended.",
          });
        }
      }
      const base = {
        host, root, path: layout.trust, sha256: sha, version: trust.doc.version, threshold: trust.doc.threshold, channels: trust.doc.channels,
        keys: trust.doc.keys.map((k) => ({ keyid: k.keyid, name: k.name, type: k.type })), previous,
      };
      if (previous?.sha256 === sha) return { ...base, changed: false };
      await ops.ensureHelpers();
      const tmp = `${layout.trust}.tmp-${process.pid}`;
      await ops.writeTagged([{ path: tmp, data: bytes, kind: "text" }]);
      const res = await ops.batch([
        ["chmod", "444", tmp],
        [ops.python, ops.helpers["zwh_target.py"].remotePath, "audit-append", "--root", root, "--json", JSON.stringify({
          event: "trust-install", sha256: sha, version: trust.doc.version, previous_sha256: previous?.sha256 ?? null, keys: base.keys.map((k) => k.keyid),
          user: safeUser(), controller_host: hostname(),
        })],
      ], { label: "chmod + audit" });
      if (res[0].code !== 0) throw new ZwhError("ZWH-DEPLOY-TRUST-INSTALL", `chmod of the trust file failed on ${host}`, { subject: tmp });
      await session.rename(tmp, layout.trust, { overwrite: true });
      return { ...base, changed: true };
    });
  } finally {
    await session.close();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
