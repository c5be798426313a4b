/** Helpers shared by the trust handlers (argument normalisation, rendering). */
import { ZwhError } from "../../../core/errors";
import { TRUST } from "../../../bundle/signing/codes";
import { Trust, defaultTrustPath, keysForChannel, trustProblems } from "../../../bundle/signing/trust";
import type { CommandContext } from "../../framework/types";

export function trustPathArg(ctx: CommandContext, name: "trust" | "out"): string {
  const v = ctx.args[name];
  if (v === undefined || v === null || v === "") return defaultTrustPath(ctx.env);
  if (typeof v !== "string") throw new ZwhError(TRUST.INVALID, `--${name} must be a file path`);
  return v;
}

/** Array options may arrive as a single string, a list, or comma-separated text. */
export function listArg(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const items = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(",")).map((s) => s.trim()).filter((s) => s !== "");
  return items.length > 0 ? items : undefined;
}

export function trustSummary(trust: Trust, file: string): Record<string, unknown> {
  const problems = trustProblems(trust);
  return {
    file,
    formatVersion: trust.doc.formatVersion,
    version: trust.doc.version,
    threshold: trust.doc.threshold,
    channels: trust.doc.channels,
    sshNamespace: trust.doc.sshNamespace,
    complete: problems.length === 0,
    problems,
    signersPerChannel: Object.fromEntries(trust.doc.channels.map((c) => [c, keysForChannel(trust, c).length])),
    keys: trust.doc.keys.map((k) => ({
      keyid: k.keyid, type: k.type, name: k.name, channels: k.channels ?? null, addedAt: k.addedAt ?? null,
    })),
  };
}

export function renderTrust(trust: Trust, file: string): string {
  const d = trust.doc;
  const lines = [
    `Trust file ${file} (version ${d.version})`,
    `  threshold:     ${d.threshold} signature(s)`,
    `  channels:      ${d.channels.map((c) => `${c} (${keysForChannel(trust, c).length} key(s))`).join(", ")}`,
    `  SSH namespace: ${d.sshNamespace}`,
  ];
  if (d.keys.length === 0) lines.push("  keys:          none (add with 'zwh trust add-key')");
  else {
    lines.push("  keys:");
    for (const k of d.keys) {
      lines.push(`    ${k.name}  ${k.type}  ${k.keyid}  channels: ${k.channels ? k.channels.join(", ") : "all"}`);
    }
  }
  for (const p of trustProblems(trust)) lines.push(`  WARNING: ${p}; bundles of this channel are refused until more keys are added.`);
  return lines.join("\n");
}
