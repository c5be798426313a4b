/**
 * Shared by the fleet handlers: read the fleet file, select hosts (--limit, --shard), lay the
 * command line's policy over the file's, resolve targets (Zowe ssh profiles included), and the
 * progress reporter of the CLI in use.
 */
import * as path from "path";
import { defaultTrustPath } from "../../../bundle/signing/trust";
import { ZwhError } from "../../../core/errors";
import { parseMaxFailTotal, parseSerial } from "../../../core/fleet-batches";
import { fleetNames, parseShard, selectHosts, shardHosts } from "../../../core/fleet-select";
import { readLimitFiles } from "../../../fleet/limit-files";
import type { FleetFile, FleetTarget, RolloutPolicy } from "../../../core/fleet-types";
import { loadFleetFile } from "../../../fleet/fleet-file";
import { resolveFleetHosts } from "../../../fleet/targets";
import { silentReporter, type FleetHost, type FleetReporter } from "../../../fleet/types";
import { decimalOption } from "../../framework/strict-values";
import type { CommandContext } from "../../framework/types";

export function cliName(ctx: CommandContext): string {
  return ctx.host === "zowe" ? "zowe wh" : "zwh";
}

function str(ctx: CommandContext, k: string): string | undefined {
  const v = ctx.args[k];
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function readFleet(ctx: CommandContext, file = str(ctx, "fleet")): FleetFile {
  if (!file) throw new ZwhError("ZWH-ARGS-MISSING", "missing --fleet: the fleet file to read", { hint: "Give --fleet FILE (docs/fleet.md describes the format)." });
  return loadFleetFile(file);
}

/** The targets --limit (names, groups, globs, @FILE) and --shard K/N select, in fleet file order. */
export function selectedTargets(ctx: CommandContext, fleet: FleetFile): FleetTarget[] {
  const limit = str(ctx, "limit");
  // @FILE lists (retry files) are untrusted input: regular files with a size cap (limit-files.ts).
  let names = selectHosts(fleetNames(fleet), limit, readLimitFiles(limit));
  const shard = str(ctx, "shard");
  if (shard !== undefined) {
    const { k, n } = parseShard(shard);
    names = shardHosts(names, k, n);
  }
  const chosen = new Set(names);
  return fleet.targets.filter((t) => chosen.has(t.name));
}

/** The fleet file's policy with the command line's overrides. */
export function policyFrom(ctx: CommandContext, base: RolloutPolicy): RolloutPolicy {
  const p: RolloutPolicy = { ...base };
  const num = (k: string, flag: string, min: number): number | undefined => {
    if (ctx.args[k] === undefined) return undefined;
    const n = decimalOption(ctx.args[k], flag);
    if (n < min) throw new ZwhError("ZWH-ARGS-INVALID", `${flag} must be at least ${min} (got ${n})`, { subject: flag });
    return n;
  };
  const forks = num("forks", "--forks", 1);
  if (forks !== undefined) p.forks = forks;
  const pct = num("maxFailPercentage", "--max-fail-percentage", 0);
  if (pct !== undefined) {
    if (pct > 100) throw new ZwhError("ZWH-ARGS-INVALID", `--max-fail-percentage must be 0-100 (got ${pct})`, { subject: "max-fail-percentage" });
    p.maxFailPercentage = pct;
  }
  const dl = num("progressDeadline", "--progress-deadline", 1);
  if (dl !== undefined) p.progressDeadlineSeconds = dl;
  const serial = str(ctx, "serial");
  if (serial !== undefined) p.serial = parseSerial(serial);
  const total = str(ctx, "maxFailTotal");
  if (total !== undefined) p.maxFailTotal = parseMaxFailTotal(total);
  if (ctx.args.continueOnBatchFailure === true) p.continueOnBatchFailure = true;
  return p;
}

/** Targets → hosts; profile targets read the Zowe team config (the same profiles both CLIs use). */
export async function resolveHosts(ctx: CommandContext, fleet: FleetFile, targets: FleetTarget[]): Promise<FleetHost[]> {
  return resolveFleetHosts(targets, {
    baseDir: path.dirname(fleet.path),
    env: ctx.env,
    defaultTrust: str(ctx, "trust") ? path.resolve(str(ctx, "trust")!) : defaultTrustPath(ctx.env),
    profileArgs: async (name) => {
      // Loaded only when a target names a profile: the Zowe profile machinery is large.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { resolveZwhProfiles } = require("../../zowe/zwh-profiles") as typeof import("../../zowe/zwh-profiles");
      return (await resolveZwhProfiles({ profile: name, connects: true, env: ctx.env })).args;
    },
    zosmfProfileArgs: async (name) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { resolveZwhProfiles } = require("../../zowe/zwh-profiles") as typeof import("../../zowe/zwh-profiles");
      return (await resolveZwhProfiles({ zosmfProfile: name, transport: "zosmf", connects: true, env: ctx.env })).args;
    },
  });
}

/** More than one host changes only with --yes: the fleet commands never prompt (CI-safe). */
export function requireYes(ctx: CommandContext, hosts: number, what: string): void {
  if (hosts > 1 && ctx.args.yes !== true) {
    throw new ZwhError("ZWH-FLEET-CONFIRM", `this ${what} would change ${hosts} hosts; add --yes to confirm`, {
      hint: `Check first with '${cliName(ctx)} fleet plan', then re-run with --yes. Fleet commands never prompt.`,
    });
  }
}

export function reporter(ctx: CommandContext): FleetReporter {
  return ctx.out.fleet ? ctx.out.fleet() : silentReporter;
}

/** How the human recap is drawn: colour only on an interactive zwh terminal without NO_COLOR. */
export function recapOptions(ctx: CommandContext, fleetFile?: string, bundle?: string): { color: boolean; cli: "zwh" | "zowe wh"; fleet?: string; bundle?: string } {
  const color = ctx.host === "zwh" && !ctx.json && process.stdout.isTTY === true && !ctx.env.NO_COLOR;
  return {
    color, cli: ctx.host === "zowe" ? "zowe wh" : "zwh",
    ...(fleetFile ?? str(ctx, "fleet") ? { fleet: fleetFile ?? str(ctx, "fleet") } : {}),
    ...(bundle ?? str(ctx, "bundle") ? { bundle: bundle ?? str(ctx, "bundle") } : {}),
  };
}
