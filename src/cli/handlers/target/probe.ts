/** `target probe`: connect, read the host's facts, print them (human summary or one JSON object). */
import type { CommandContext, CommandResult, Handler } from "../../framework/types";
import { connectTarget } from "../../../remote/connection";
import { probeTarget, type ProbeResult } from "../../../remote/probe";
import { targetSpec } from "../../framework/target-spec";
import { connectTitle } from "../../../remote/target";

function gib(n: number | null): string {
  if (n === null) return "unknown";
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${(n / 1024 ** 2).toFixed(0)} MiB`;
}

export function renderProbe(p: ProbeResult): string {
  const u = p.uname;
  const lines = [
    `Target      ${p.target.user}@${p.target.host}:${p.target.port} (host key ${p.target.hostKeyFingerprint}, auth ${p.target.authMethod})`,
    `System      ${u.sysname} ${u.nodename} ${u.release} ${u.version} ${u.machine}`,
    `Python      ${p.python.path} ${p.python.version} (${p.python.implementation})`,
    `            sys.platform=${p.python.sysPlatform}  platform.system()=${p.python.platformSystem}  sysconfig=${p.python.sysconfigPlatform}`,
    `pip         ${p.pip.version ?? "not found"}`,
    `Wheel tags  ${p.compatibleTags.length} accepted; best first: ${p.compatibleTags.slice(0, 3).join(", ")}${p.compatibleTags.length > 3 ? ", ..." : ""}`,
    `Root        ${p.root.path}${p.root.given ? "" : " ($HOME; no --root given)"}${p.root.exists ? "" : " (does not exist yet)"}: ${gib(p.root.freeBytes)} free`,
    `Tagging     ${p.tagging.works ? "works" : "DOES NOT WORK"} (${p.tagging.observed ?? "no tag read back"}, in ${p.tagging.dir})`,
  ];
  for (const w of p.warnings) lines.push(`Warning     ${w}`);
  return lines.join("\n");
}

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const spec = targetSpec(ctx);
  const root = typeof ctx.args.root === "string" && ctx.args.root !== "" ? ctx.args.root : undefined;
  const session = await ctx.out.progress.step(connectTitle(spec), () => connectTarget(spec, { env: ctx.env }));
  try {
    const result = await ctx.out.progress.step("Probe target", (s) =>
      probeTarget(session, { root, pythonPath: spec.pythonPath, onStep: (t) => s.update(t) }),
    );
    if (ctx.json) for (const w of result.warnings) ctx.out.warn(w);
    return { exitCode: 0, data: result as unknown as Record<string, unknown>, text: renderProbe(result) };
  } finally {
    await session.close();
  }
};

export default { run };
