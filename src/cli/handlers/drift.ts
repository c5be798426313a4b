/** `drift`: observe + compare every selected host; print one report, write others (--report). */
import * as path from "path";
import { writeFileAtomic } from "../../io/atomic-write";
import type { DesiredState, Severity } from "../../core/drift";
import { ZwhError } from "../../core/errors";
import { openInventory } from "../framework/deploy-options";
import { drift, desiredFromBundle, type DriftTarget } from "../../index";
import { checkRoot } from "../../deploy/layout";
import type { InventoryStore } from "../../inventory/types";
import type { TargetSpec } from "../../remote/target";
import { renderDriftReport, DRIFT_FORMATS, type DriftFormat } from "../../report/render-drift";
import { targetSpec } from "../framework/target-spec";
import type { CommandContext, CommandResult, Handler } from "../framework/types";
import { defaultTrustPath } from "../../bundle/signing/trust";

function cliName(ctx: CommandContext): string {
  return ctx.host === "zowe" ? "zowe wh" : "zwh";
}

function q(s: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `--name VALUE` for each argument that is set (a remediation command repeats how the target was reached). */
function flags(ctx: CommandContext, names: Array<[string, string]>): string {
  return names.map(([key, flag]) => (typeof ctx.args[key] === "string" && ctx.args[key] !== "" ? ` --${flag} ${q(String(ctx.args[key]))}` : "")).join("");
}

/**
 * A z/OSMF target in remediation commands: the zosmf profile, else the --zosmf-* flags as given
 * (the password and token only as the names of their environment variables, never the values).
 */
function zosmfTarget(ctx: CommandContext, spec: TargetSpec, root: string): string {
  const profile = flags(ctx, [["zosmfProfile", "zosmf-profile"]]);
  if (profile || ctx.host === "zowe") return `--transport zosmf${profile} --root ${q(root)}`;
  const z = spec.zosmf;
  const where = z ? ` --zosmf-host ${q(z.host)} --zosmf-port ${z.port}${z.user ? ` --zosmf-user ${q(z.user)}` : ""}` : "";
  return `--transport zosmf${where}${flags(ctx, [["zosmfPasswordEnv", "zosmf-password-env"], ["zosmfTokenEnv", "zosmf-token-env"], ["zosmfTokenType", "zosmf-token-type"], ["zosmfBasePath", "zosmf-base-path"], ["zosmfCaFile", "zosmf-ca-file"]])} --root ${q(root)}`;
}

/**
 * How remediation commands name one target, in the words of the CLI in use (and of its transport),
 * with the --name the user gave, so the command records under the same LPAR name.
 */
function cliTarget(ctx: CommandContext, spec: TargetSpec, root: string): string {
  return reachTarget(ctx, spec, root) + flags(ctx, [["name", "name"]]);
}

function reachTarget(ctx: CommandContext, spec: TargetSpec, root: string): string {
  const zp = ctx.host === "zwh" && typeof ctx.args.profile === "string" && ctx.args.profile !== "";
  if (spec.transport === "zosmf" && !zp) return zosmfTarget(ctx, spec, root);
  if (ctx.host === "zowe") {
    const p = ctx.args.sshProfile;
    return `${typeof p === "string" && p ? `--ssh-profile ${q(p)}` : `--host ${q(spec.host)} --port ${spec.port} --user ${q(spec.user)}`} --root ${q(root)}`;
  }
  const p = ctx.args.profile;
  if (typeof p === "string" && p) return `--profile ${q(p)} --root ${q(root)}`;
  return `--host ${q(spec.host)}${spec.port !== 22 ? ` --port ${spec.port}` : ""} --user ${q(spec.user)} --root ${q(root)}`;
}

async function recordedTargets(ctx: CommandContext, store: InventoryStore, base: TargetSpec | undefined): Promise<DriftTarget[]> {
  const rows = await store.listDeployments({ states: ["active"] });
  const seen = new Map<string, DriftTarget>();
  for (const r of rows) {
    const key = `${r.host}\u0000${r.root}`;
    if (seen.has(key)) continue;
    const h = await store.getHost(r.host);
    if (!h) continue;
    const user = h.sshUser ?? base?.user;
    if (!user) {
      throw new ZwhError("ZWH-ARGS-MISSING", `the inventory has no SSH user for ${r.host}`, { subject: r.host, hint: `Give --user for hosts recorded without one.` });
    }
    const spec: TargetSpec = { ...(base ?? { host: h.address, port: h.port, user }), host: h.address, port: h.port, user, name: r.host };
    seen.set(key, { name: r.host, spec, root: r.root, cliTarget: cliTarget(ctx, spec, r.root) });
  }
  return [...seen.values()];
}

function parseReports(v: unknown): Array<{ format: DriftFormat; file: string }> {
  const items = Array.isArray(v) ? v.map(String) : typeof v === "string" ? [v] : [];
  return items.map((it) => {
    const i = it.indexOf("=");
    const format = it.slice(0, i) as DriftFormat;
    const file = it.slice(i + 1);
    if (i <= 0 || !file || !DRIFT_FORMATS.includes(format)) {
      throw new ZwhError("ZWH-ARGS-INVALID", `--report ${JSON.stringify(it)} is not FORMAT=FILE with FORMAT one of ${DRIFT_FORMATS.join(", ")}`, { subject: it, hint: "Example: --report html=drift.html junit=drift.xml" });
    }
    return { format, file };
  });
}

function desiredFrom(ctx: CommandContext): Promise<DesiredState | undefined> {
  const dir = typeof ctx.args.desired === "string" && ctx.args.desired !== "" ? ctx.args.desired : undefined;
  if (!dir) return Promise.resolve(undefined);
  const trust = typeof ctx.args.trust === "string" && ctx.args.trust !== "" ? ctx.args.trust : defaultTrustPath(ctx.env);
  return desiredFromBundle(dir, trust);
}

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const format = String(ctx.args.format ?? "table") as DriftFormat;
  if (!DRIFT_FORMATS.includes(format)) throw new ZwhError("ZWH-ARGS-INVALID", `--format must be one of ${DRIFT_FORMATS.join(", ")}`, { subject: format });
  const reports = parseReports(ctx.args.report);
  const failOn = String(ctx.args.failOn ?? "low") as Severity;
  const all = ctx.args.allRecorded === true;
  const desired = await desiredFrom(ctx);
  const store = await openInventory(ctx);
  try {
    let targets: DriftTarget[];
    if (all) {
      const hasHost = typeof ctx.args.host === "string" || typeof ctx.args.profile === "string" || typeof ctx.args.sshProfile === "string";
      let base: TargetSpec | undefined;
      if (hasHost) throw new ZwhError("ZWH-ARGS-CONFLICT", "--all-recorded checks the hosts the inventory knows; do not also give --host or a profile", { hint: "Drop --host/--profile, or drop --all-recorded." });
      try {
        base = targetSpec({ ...ctx, args: { ...ctx.args, host: "inventory" } });
      } catch {
        base = undefined;
      }
      // The inventory records hosts by address and SSH port: one z/OSMF connection would be observed under every recorded name.
      if (base?.transport === "zosmf" || ctx.args.transport === "zosmf") {
        throw new ZwhError("ZWH-ARGS-CONFLICT", "--all-recorded reaches the recorded hosts over SSH; it cannot be combined with the z/OSMF transport", {
          hint: `Check z/OSMF hosts one at a time ('${cliName(ctx)} drift --transport zosmf ... --root ROOT'), or give --transport ssh.`,
        });
      }
      targets = await recordedTargets(ctx, store, base);
      if (targets.length === 0) throw new ZwhError("ZWH-DRIFT-NO-HOSTS", "the inventory records no active release on any host", { hint: `Deploy first, or rebuild the records with '${cliName(ctx)} inventory sync'.` });
    } else {
      const spec = targetSpec(ctx);
      const root = checkRoot(ctx.args.root);
      targets = [{ ...(spec.name ? { name: spec.name } : {}), spec, root, cliTarget: cliTarget(ctx, spec, root) }];
    }
    const r = await drift({
      targets, store, desired, failOn, cli: cliName(ctx), env: ctx.env, argv: process.argv.slice(2),
      concurrency: ctx.args.forks === undefined ? 8 : Number(ctx.args.forks), progress: ctx.out.progress,
    });
    for (const rep of reports) writeFileAtomic(path.resolve(rep.file), renderDriftReport(r, rep.format));
    // Colour only on an interactive zwh terminal, never with NO_COLOR or in a file.
    const color = ctx.host === "zwh" && !ctx.json && process.stdout.isTTY === true && !ctx.env.NO_COLOR && !(typeof ctx.args.out === "string" && ctx.args.out !== "");
    const text = renderDriftReport(r, format, { color });
    if (typeof ctx.args.out === "string" && ctx.args.out !== "") {
      writeFileAtomic(path.resolve(ctx.args.out), text);
      return { exitCode: r.exitCode, data: r as unknown as Record<string, unknown>, text: `Wrote ${format} report to ${ctx.args.out}\n` };
    }
    return { exitCode: r.exitCode, data: r as unknown as Record<string, unknown>, text };
  } finally {
    await store.close();
  }
};

export default { run };
