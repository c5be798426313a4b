/** zwh bundle inspect: contents, signers, closure tree and policy result (no trust required). */
import { inspectBundle, renderInspection } from "../../../bundle/inspect";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { strArg, trustFrom } from "./common";

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const dir = strArg(ctx, "dir", "DIR", true)!;
  const t = trustFrom(ctx, false);
  const r = await inspectBundle(dir, { trust: t?.trust });
  const p = r.statement.predicate;
  const data = {
    dir: r.dir,
    statementDigest: r.statementDigest,
    bundleId: p.bundleId,
    channel: p.channel,
    sequence: p.sequence,
    createdAt: p.createdAt,
    expires: p.expires,
    target: p.target,
    requirements: p.requirements,
    wheels: p.wheels,
    files: r.files,
    signatures: r.signatures,
    signatureVerdict: t ? (r.signatureRefusal ? r.signatureRefusal.toJSON() : "accepted") : null,
    closure: {
      ok: r.closure.ok,
      roots: r.closure.roots,
      nodes: r.closure.nodes,
      unneeded: r.closure.unneeded,
      findings: r.closure.findings.map((f) => f.toJSON()),
      warnings: r.closure.warnings,
      tree: r.closureTree,
    },
    policy: { ok: r.policy.length === 0, rules: p.policy.denyList.rules, findings: r.policy.map((f) => f.toJSON()) },
    pip: p.pip,
  };
  return { exitCode: 0, data, text: renderInspection(r) };
}

const handler: HandlerModule = { run };
export default handler;
