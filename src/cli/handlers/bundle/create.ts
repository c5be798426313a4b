/** zwh bundle create: verify a wheel directory and write a new (optionally signed) bundle. */
import * as path from "node:path";
import { ZwhError } from "../../../core/errors";
import { createBundle, parseRequirementsText } from "../../../bundle/create";
import { parseStartupHookAllows } from "../../../bundle/checks";
import { loadTargetEnv, zosTarget } from "../../../bundle/target";
import { BUNDLE } from "../../../bundle/codes";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { listArg, loadKeys, readBytes, readText, strArg } from "./common";
import { trustFrom } from "./common";
import { vulnGateFrom } from "../vuln/common";
import { matchJson } from "../../../bundle/vuln-gate";
import type { TestCodePolicy } from "../../../bundle/statement";

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const wheelDir = strArg(ctx, "wheelDir", "WHEEL_DIR", true)!;
  const out = strArg(ctx, "out", "--out", true)!;
  const id = strArg(ctx, "id", "--id", true)!;
  const channel = strArg(ctx, "channel", "--channel", true)!;
  const seqRaw = ctx.args.sequence;
  const sequence = typeof seqRaw === "number" ? seqRaw : Number(seqRaw);
  if (seqRaw === undefined || !Number.isSafeInteger(sequence) || sequence < 0) {
    throw new ZwhError(BUNDLE.USAGE, "--sequence N (a non-negative integer, higher than the channel's last bundle) is required");
  }
  const targetEnv = strArg(ctx, "targetEnv", "--target-env");
  const python = strArg(ctx, "python", "--python");
  const platform = strArg(ctx, "platform", "--platform");
  let target;
  if (targetEnv) {
    if (python || platform) throw new ZwhError(BUNDLE.USAGE, "use either --target-env or --python/--platform, not both");
    target = loadTargetEnv(targetEnv);
  } else {
    if (!python || !platform) {
      throw new ZwhError(BUNDLE.USAGE, "the target is required: --target-env PROBE.json, or --python X.Y --platform os390-<release>-<machine>", {
        hint: "Capture PROBE.json with 'zwh target probe --json > probe.json' on a machine that can reach the target.",
      });
    }
    target = zosTarget(python, platform);
  }
  const reqFile = strArg(ctx, "requirements", "--requirements");
  const requirements = reqFile ? parseRequirementsText(readText(reqFile, "requirements file"), reqFile) : [];
  const denyFile = strArg(ctx, "deny", "--deny");
  const denyList = denyFile ? { text: readBytes(denyFile, "deny list"), source: path.basename(denyFile) } : undefined;
  const keyFiles = listArg(ctx.args.signKey);
  const keys = loadKeys(ctx, keyFiles);
  const expires = strArg(ctx, "expires", "--expires");
  const fromReq = strArg(ctx, "fromRequirements", "--from-requirements");
  if (fromReq && reqFile) throw new ZwhError(BUNDLE.USAGE, "use either --requirements or --from-requirements, not both");
  const fromRequirements = fromReq ? { bytes: readBytes(fromReq, "requirements file"), source: fromReq } : undefined;
  const vulnGate = vulnGateFrom(ctx, () => trustFrom(ctx, true)!.trust);
  const tcMode = strArg(ctx, "testCode", "--test-code");
  if (tcMode && tcMode !== "refuse" && tcMode !== "list") throw new ZwhError(BUNDLE.USAGE, `--test-code must be refuse or list, not "${tcMode}"`);
  const allow = listArg(ctx.args.testCodeAllow);
  if (allow.length && !tcMode) throw new ZwhError(BUNDLE.USAGE, "--test-code-allow needs --test-code refuse|list");
  const testCode: TestCodePolicy | undefined = tcMode ? { mode: tcMode as TestCodePolicy["mode"], exceptions: allow } : undefined;
  const allowStartupHooks = parseStartupHookAllows(listArg(ctx.args.allowStartupHook));
  const r = await ctx.out.progress.step(`Verify ${wheelDir} and write bundle ${out}`, () =>
    createBundle({ wheelDir, outDir: out, bundleId: id, channel, sequence, expires, target, requirements, denyList, signKeys: keys, fromRequirements, vulnGate, testCode, allowStartupHooks }),
  );
  const p = r.statement.predicate;
  for (const w of r.warnings) ctx.out.warn(`warning: ${w}`);
  const data = {
    dir: r.dir,
    bundleId: p.bundleId,
    channel: p.channel,
    sequence: p.sequence,
    expires: p.expires,
    statementDigest: r.statementDigest,
    signedBy: r.signedBy,
    target: { pythonVersion: p.target.pythonVersion, platform: p.target.platform },
    wheels: p.wheels.map((w) => ({ filename: w.filename, name: w.name, version: w.version, sha256: w.sha256, size: w.size })),
    source: p.source ?? null,
    vulnerability: p.policy.vulnerability ? { ...p.policy.vulnerability, matches: (r.vulnerabilities ?? []).map(matchJson) } : null,
    testCode: r.testCode ?? null,
    warnings: r.warnings,
  };
  const text = [
    `Created bundle ${p.bundleId} (channel ${p.channel}, sequence ${p.sequence}) in ${r.dir}`,
    `  ${p.wheels.length} wheel(s) for CPython ${p.target.pythonVersion} on ${p.target.platform}; expires ${p.expires}`,
    `  statement ${r.statementDigest}`,
    ...(p.source ? [`  wheels match ${p.source.requirements.name} (sha256 ${p.source.requirements.sha256}, ${p.source.requirements.pins} pins)`] : []),
    ...(p.policy.vulnerability ? [`  vulnerability gate: OSV snapshot ${p.policy.vulnerability.osvSnapshot.file} of ${p.policy.vulnerability.osvSnapshot.date ?? "unknown date"} (sha256 ${p.policy.vulnerability.osvSnapshot.sha256}); ` +
      `${(r.vulnerabilities ?? []).filter((m) => m.decision === "waived").length} waived, ${(r.vulnerabilities ?? []).filter((m) => m.decision === "below").length} below the threshold`] : []),
    r.signedBy.length ? `  signed by ${r.signedBy.join(", ")}` : "  UNSIGNED: sign it with 'zwh bundle sign DIR --key KEY' before it can be verified",
    ...r.warnings.map((w) => `  warning: ${w}`),
  ].join("\n");
  return { exitCode: 0, data, text };
}

const handler: HandlerModule = { run };
export default handler;
