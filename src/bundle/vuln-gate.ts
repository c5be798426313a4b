/**
 * The offline vulnerability gate as bundle create / verify / deploy and `vuln scan` use it:
 * option parsing, signed waiver documents, and one call that evaluates a package list.
 * Decisions are src/core/osv-match.ts; the snapshot reader is vuln-db.ts.
 *
 * Waiver documents are DSSE envelopes (the same signing as bundle statements) verified against
 * the trust file: at least `threshold` distinct trusted keys must have signed. The payload is a
 * Wheelhouse waiver list or a CycloneDX VEX document (src/core/vuln-waivers.ts).
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import { refusal, ZwhError } from "../core/errors";
import { readInputFile } from "../io/input-file";
import {
  DEFAULT_GATE, evaluateGate, GateMatch, GatePackage, GateSettings, gateRefusal, refusedMatches, VULN, Waiver,
} from "../core/osv-match";
import { CYCLONEDX_PAYLOAD_TYPE, parseVex, parseWaiverList, WAIVERS_PAYLOAD_TYPE } from "../core/vuln-waivers";
import { addSignature, parseEnvelope, signEnvelope, verifyEnvelope, DsseEnvelope, keyIdOf, Trust } from "./signing";
import { loadOsvSnapshot, OsvSnapshot } from "./vuln-db";
import type { VulnPolicy } from "./statement";

/** Size cap for waiver documents. */
const MAX_WAIVER_BYTES = 8 * 1024 * 1024;

/** Strict decimal 0-10 with at most one decimal ("7", "7.0", "6.5"). */
export function parseMaxCvss(v: unknown, flag = "--max-cvss"): number {
  if (v === undefined || v === null || v === "") return DEFAULT_GATE.maxCvss;
  const s = String(v).trim();
  if (!/^(10(\.0)?|\d(\.\d)?)$/.test(s)) {
    throw new ZwhError(VULN.USAGE, `${flag} "${s}" is not a CVSS score from 0.0 to 10.0 (one decimal at most)`, { hint: `Example: ${flag} 7.0` });
  }
  return Number(s);
}

export function parseRefuseAt(v: unknown): "ge" | "gt" {
  if (v === undefined || v === null || v === "") return DEFAULT_GATE.refuseAt;
  if (v === "ge" || v === "gt") return v;
  throw new ZwhError(VULN.USAGE, `--cvss-compare "${String(v)}" must be ge (refuse scores >= --max-cvss) or gt (refuse scores > --max-cvss)`);
}

export interface WaiverSource {
  file: string;
  sha256: string;
  payloadType: string;
  signers: string[];
  waivers: number;
}

function readCapped(file: string, what: string): Buffer {
  return readInputFile(file, {
    what,
    maxBytes: MAX_WAIVER_BYTES,
    ioError: (e) => new ZwhError(VULN.WAIVERS, `cannot read ${what} ${file}: ${e.code ?? e.message}`, { subject: file, cause: e }),
  });
}

/** Load one signed waiver document (DSSE envelope) and verify it against the trust file. */
export function loadSignedWaivers(file: string, trust: Trust, cli = "zwh"): { waivers: Waiver[]; source: WaiverSource } {
  const bytes = readCapped(file, "waiver file");
  const label = path.basename(file);
  let env: DsseEnvelope;
  try {
    env = parseEnvelope(bytes, label);
  } catch (e) {
    throw refusal(VULN.WAIVERS, `${label} is not a signed waiver document (DSSE envelope): ${(e as Error).message}`, {
      subject: file, cause: e, hint: `Sign the waiver list or VEX document with '${cli} vuln sign FILE --key KEY --out ${label}'.`,
    });
  }
  const v = verifyEnvelope(env, trust.keys.map((k) => ({ keyid: k.keyid, key: k.key })));
  const threshold = trust.doc.threshold;
  if (v.verifiedKeyIds.length < threshold) {
    throw refusal(VULN.WAIVERS, `${label} is signed by ${v.verifiedKeyIds.length} trusted key(s); the trust file ${trust.source} requires ${threshold}`, {
      subject: file, details: { verified: v.verifiedKeyIds, rejected: v.rejected },
      hint: `Have ${threshold} key(s) of the trust file sign it ('${cli} vuln sign ... --key KEY').`,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(v.payload.toString("utf8"));
  } catch (e) {
    throw refusal(VULN.WAIVERS, `${label}: the signed payload is not JSON`, { subject: file, cause: e });
  }
  let waivers: Waiver[];
  if (v.payloadType === WAIVERS_PAYLOAD_TYPE) waivers = parseWaiverList(doc, label);
  else if (v.payloadType === CYCLONEDX_PAYLOAD_TYPE) waivers = parseVex(doc, label);
  else throw refusal(VULN.WAIVERS, `${label}: payload type ${v.payloadType} is neither ${WAIVERS_PAYLOAD_TYPE} nor ${CYCLONEDX_PAYLOAD_TYPE}`, { subject: file });
  const names = v.verifiedKeyIds.map((id) => trust.keys.find((k) => k.keyid === id)?.name ?? id);
  return {
    waivers,
    source: { file: label, sha256: crypto.createHash("sha256").update(bytes).digest("hex"), payloadType: v.payloadType, signers: names, waivers: waivers.length },
  };
}

/** Sign a waiver list or CycloneDX VEX document (payload type chosen from its content). */
export function signWaiverDocument(bytes: Buffer, keys: crypto.KeyObject[], source: string): DsseEnvelope {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new ZwhError(VULN.WAIVERS, `${source} is not JSON: ${(e as Error).message}`, { subject: source, cause: e });
  }
  const isVex = (doc as Record<string, unknown> | null)?.bomFormat === "CycloneDX";
  // Refuse to sign what the gate would refuse to read.
  if (isVex) parseVex(doc, source);
  else parseWaiverList(doc, source);
  const type = isVex ? CYCLONEDX_PAYLOAD_TYPE : WAIVERS_PAYLOAD_TYPE;
  if (!keys.length) throw new ZwhError(VULN.USAGE, "at least one --key is required");
  let env = signEnvelope(bytes, keys[0], type);
  for (const k of keys.slice(1)) env = addSignature(env, k);
  return env;
}

export { keyIdOf };

export interface VulnGate {
  snapshot: OsvSnapshot;
  settings: GateSettings;
  waivers: Waiver[];
  waiverSources: WaiverSource[];
  now?: Date;
  /** "zwh" or "zowe wh", for hints. */
  cli?: string;
}

export interface VulnGateOptions {
  dbFile: string;
  waiverFiles?: string[];
  trust?: Trust;
  settings?: Partial<GateSettings>;
  /** Keep only records for these projects (the packages that will be checked). */
  packages?: Iterable<string>;
  /** Snapshot index directory (see loadOsvSnapshot); the CLI uses defaultOsvIndexDir(). */
  indexDir?: string;
  now?: Date;
  cli?: string;
}

export async function loadVulnGate(o: VulnGateOptions): Promise<VulnGate> {
  const waivers: Waiver[] = [];
  const waiverSources: WaiverSource[] = [];
  for (const f of o.waiverFiles ?? []) {
    if (!o.trust) throw new ZwhError(VULN.USAGE, "--waivers needs a trust file (--trust) to check the waivers' signatures");
    const r = loadSignedWaivers(f, o.trust, o.cli);
    waivers.push(...r.waivers);
    waiverSources.push(r.source);
  }
  const snapshot = await loadOsvSnapshot(o.dbFile, { packages: o.packages, indexDir: o.indexDir });
  return { snapshot, settings: { ...DEFAULT_GATE, ...o.settings }, waivers, waiverSources, now: o.now, cli: o.cli };
}

export interface GateOutcome {
  matches: GateMatch[];
  refusals: ZwhError[];
}

export function runVulnGate(pkgs: readonly GatePackage[], gate: VulnGate): GateOutcome {
  const matches = evaluateGate(pkgs, gate.snapshot, gate.settings, gate.waivers, gate.now ?? new Date());
  return { matches, refusals: refusedMatches(matches, gate.settings).map((m) => gateRefusal(m, gate.settings, gate.cli)) };
}

/** What the signed statement records about the gate a bundle passed. */
export function vulnPolicyRecord(gate: VulnGate, matches: readonly GateMatch[]): VulnPolicy {
  const i = gate.snapshot.info;
  return {
    osvSnapshot: { ecosystem: "PyPI", file: i.file, sha256: i.sha256, date: i.date, records: i.records },
    maxCvss: gate.settings.maxCvss,
    refuseAt: gate.settings.refuseAt,
    allowUnscored: gate.settings.allowUnscored,
    waivers: matches.filter((m) => m.waiver).map((m) => ({ id: m.id, package: m.package, version: m.version, reason: m.waiver!.reason, expires: m.waiver!.expires })),
  };
}

/** JSON form of a match for --json outputs. */
export function matchJson(m: GateMatch): Record<string, unknown> {
  return {
    package: m.package, version: m.version, where: m.where ?? null, id: m.id, aliases: m.aliases, decision: m.decision,
    score: m.score, scoreSource: m.scoreSource, vector: m.vector ?? null, fixed: m.fixed, summary: m.summary ?? null,
    waiver: m.waiver ? { id: m.waiver.id, reason: m.waiver.reason, expires: m.waiver.expires, source: m.waiver.source ?? null } : null,
    expiredWaivers: (m.expiredWaivers ?? []).map((w) => ({ id: w.id, expires: w.expires })),
    invalidVectors: m.invalidVectors,
  };
}
