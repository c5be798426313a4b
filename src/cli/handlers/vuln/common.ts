/** Gate options from the command line (bundle create/verify/diff, deploy, vuln scan). */
import type { Trust } from "../../../bundle/signing";
import { defaultOsvIndexDir } from "../../../bundle/vuln-db";
import { parseMaxCvss, parseRefuseAt, VulnGateOptions } from "../../../bundle/vuln-gate";
import { VULN, type GateSettings } from "../../../core/osv-match";
import { ZwhError } from "../../../core/errors";
import type { CommandContext } from "../../framework/types";
import { listArg, strArg } from "../bundle/common";

/** "zwh" or "zowe wh": the CLI named in hints. */
export function cliName(ctx: CommandContext): string {
  return ctx.host === "zowe" ? "zowe wh" : "zwh";
}

/**
 * The gate's options, or undefined without --vuln-db. Unset settings stay undefined so that
 * verify and deploy fall back to the bundle's signed policy; `trust` is loaded only when
 * --waivers is given.
 */
export function vulnGateFrom(ctx: CommandContext, trust: () => Trust | undefined): Omit<VulnGateOptions, "packages" | "now"> | undefined {
  const dbFile = strArg(ctx, "vulnDb", "--vuln-db");
  const waiverFiles = listArg(ctx.args.waivers);
  if (!dbFile) {
    if (waiverFiles.length || ctx.args.allowUnscored !== undefined) {
      // Gate options without a database would silently do nothing.
      throw new ZwhError(VULN.USAGE, `${waiverFiles.length ? "--waivers" : "--allow-unscored"} needs --vuln-db (the OSV snapshot to check against)`, {
        hint: "Give --vuln-db all.zip, or set vulnDb in the wheelhouse profile.",
      });
    }
    return undefined;
  }
  const settings: Partial<GateSettings> = {};
  if (ctx.args.maxCvss !== undefined) settings.maxCvss = parseMaxCvss(ctx.args.maxCvss);
  if (ctx.args.cvssCompare !== undefined) settings.refuseAt = parseRefuseAt(ctx.args.cvssCompare);
  if (typeof ctx.args.allowUnscored === "boolean") settings.allowUnscored = ctx.args.allowUnscored;
  return { dbFile, waiverFiles, trust: waiverFiles.length ? trust() : undefined, settings, cli: cliName(ctx), indexDir: defaultOsvIndexDir(ctx.env) };
}
