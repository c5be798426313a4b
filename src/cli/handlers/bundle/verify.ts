/** zwh bundle verify: every check of the verification order; exit 3 with all findings on refusal. */
import { FileSequenceStore, defaultSequenceStatePath } from "../../../bundle/signing";
import { findingJson, verifyBundle } from "../../../bundle/verify";
import { loadTargetEnv } from "../../../bundle/target";
import { EXIT_REFUSED } from "../../../core/errors";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { denyFrom, strArg, trustFrom } from "./common";
import { vulnGateFrom } from "../vuln/common";
import { matchJson } from "../../../bundle/vuln-gate";

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const dir = strArg(ctx, "dir", "DIR", true)!;
  const { trust, file: trustFile } = trustFrom(ctx, true)!;
  const targetFile = strArg(ctx, "targetEnv", "--target-env");
  const stateFile = strArg(ctx, "state", "--state") ?? defaultSequenceStatePath(ctx.env);
  const deny = denyFrom(ctx);
  const r = await ctx.out.progress.step(`Verify bundle ${dir}`, () =>
    verifyBundle(dir, {
      trust,
      targetEnv: targetFile ? loadTargetEnv(targetFile) : undefined,
      // The cache of (trust root, channel) bounds that deploy refreshes from the targets.
      sequenceStore: new FileSequenceStore(stateFile).forTrustRoot(trust.rootId!),
      extraDenyList: deny?.list,
      vulnGate: vulnGateFrom(ctx, () => trust),
    }),
  );
  const p = r.statement?.predicate;
  const findings = r.findings.map(findingJson);
  const data: Record<string, unknown> = {
    dir: r.dir,
    verified: r.ok,
    trust: trustFile,
    state: stateFile,
    trustRoot: trust.rootId,
    statementDigest: r.statementDigest ?? null,
    bundle: p ? { bundleId: p.bundleId, channel: p.channel, sequence: p.sequence, createdAt: p.createdAt, expires: p.expires } : null,
    signers: r.signatures?.signers ?? [],
    target: r.target ? { pythonVersion: r.target.pythonVersion, platform: r.target.platform, source: targetFile ?? "manifest" } : null,
    wheels: p ? p.wheels.map((w) => ({ filename: w.filename, name: w.name, version: w.version, sha256: w.sha256, size: w.size })) : [],
    sequenceStatus: r.verified?.sequenceStatus ?? null,
    findings,
    vulnerability: r.vulnGate
      ? {
        osvSnapshot: r.vulnGate.snapshot.info,
        maxCvss: r.vulnGate.settings.maxCvss,
        refuseAt: r.vulnGate.settings.refuseAt,
        allowUnscored: r.vulnGate.settings.allowUnscored,
        waiverSources: r.vulnGate.waiverSources,
        matches: (r.vulnerabilities ?? []).map(matchJson),
      }
      : null,
    warnings: r.warnings,
  };
  if (!r.ok) {
    data.error = findings[0];
    const lines = [`REFUSED: bundle ${r.dir} failed verification (${findings.length} finding(s); the first stops deployment)`];
    for (const f of r.findings) {
      lines.push(`  [${f.step}] ${f.error.format().replace(/\n/g, "\n  ")}`);
    }
    if (r.findings[0]?.step === "signatures" || r.findings[0]?.step === "manifest") lines.push("  (verification stops at the manifest/signature step: nothing in an untrusted manifest is checked further)");
    return { exitCode: EXIT_REFUSED, data, text: lines.join("\n") };
  }
  const v = r.verified!;
  const text = [
    `Verified bundle ${p!.bundleId} (channel ${p!.channel}, sequence ${p!.sequence}, ${v.sequenceStatus === "same" ? "identical to the last accepted" : "newer than the last accepted"})`,
    `  statement ${v.statementDigest}`,
    `  signed by ${v.signers.map((s) => `${s.name} (${s.keyid}, ${s.kind})`).join(", ")}`,
    `  ${v.wheels.length} wheel(s) verified against RECORD; closed for CPython ${v.target.pythonVersion} on ${v.target.platform}; lock matches`,
    ...(r.vulnGate ? [`  vulnerability gate passed: OSV ${r.vulnGate.snapshot.info.file} of ${r.vulnGate.snapshot.info.date ?? "unknown date"}, ` +
      `${(r.vulnerabilities ?? []).filter((m) => m.decision === "waived").length} waived, ${(r.vulnerabilities ?? []).filter((m) => m.decision === "below").length} below the threshold`] : []),
    ...r.warnings.map((w) => `  warning: ${w}`),
  ].join("\n");
  return { exitCode: 0, data, text };
}

const handler: HandlerModule = { run };
export default handler;
