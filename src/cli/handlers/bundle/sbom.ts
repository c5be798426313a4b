/** zwh bundle sbom DIR [--out F]: the bundle's CycloneDX 1.6 JSON SBOM. */
import * as fs from "node:fs";
import * as path from "node:path";
import { ZwhError } from "../../../core/errors";
import { BUNDLE } from "../../../bundle/codes";
import { readOptional, readStatementFile } from "../../../bundle/files";
import { DSSE_FILE, parseStatement } from "../../../bundle/statement";
import { cycloneDxJson, sbomInputFromPredicate } from "../../../bundle/sbom";
import { parseEnvelope, statementDigest, verifyEnvelope } from "../../../bundle/signing";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { strArg, trustFrom } from "./common";

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const dir = strArg(ctx, "dir", "DIR", true)!;
  const out = strArg(ctx, "out", "--out");
  const bytes = readStatementFile(dir);
  const st = parseStatement(bytes);
  const trust = trustFrom(ctx, false);
  const envBytes = readOptional(path.join(dir, DSSE_FILE));
  let signers: Array<{ keyid: string; name?: string }> = [];
  if (envBytes) {
    const env = parseEnvelope(envBytes, DSSE_FILE);
    if (trust) {
      // Only signatures that verify over these exact statement bytes are named.
      const v = verifyEnvelope(env, trust.trust.keys.map((k) => ({ keyid: k.keyid, key: k.key })));
      signers = Buffer.from(v.payload).equals(bytes)
        ? v.verifiedKeyIds.map((id) => ({ keyid: id, name: trust.trust.keys.find((k) => k.keyid === id)?.name }))
        : [];
    } else {
      signers = env.signatures.filter((s) => typeof s.keyid === "string" && s.keyid).map((s) => ({ keyid: s.keyid as string }));
    }
  }
  const json = cycloneDxJson(sbomInputFromPredicate(st.predicate, { statementDigest: statementDigest(bytes), signers }));
  if (out) {
    try {
      fs.writeFileSync(out, json, { flag: "wx" });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ZwhError(code === "EEXIST" ? BUNDLE.EXISTS : BUNDLE.IO, `cannot write ${out}: ${code ?? (e as Error).message}`, { subject: out, cause: e, hint: code === "EEXIST" ? "Choose a new --out file; it is never overwritten." : undefined });
    }
  }
  const p = st.predicate;
  const data = { dir, out: out ?? null, bundleId: p.bundleId, components: p.wheels.length, signers, sbom: out ? null : JSON.parse(json) };
  const text = out ? `Wrote CycloneDX 1.6 SBOM of bundle ${p.bundleId} (${p.wheels.length} components) to ${out}` : json.trimEnd();
  return { exitCode: 0, data, text };
}

const handler: HandlerModule = { run };
export default handler;
