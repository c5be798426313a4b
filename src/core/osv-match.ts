/**
 * The offline vulnerability gate's decisions (supply-chain.md §11), pure: OSV records and
 * (name, version) pairs in, one decision per match out. Reading all.zip is src/bundle/vuln-db.ts.
 *
 * 1. Records with `withdrawn` are skipped; only `affected[]` entries with ecosystem "PyPI" and a
 *    PEP 503-equal package name count.
 * 2. Affected = an exact `versions[]` hit OR an ECOSYSTEM/SEMVER range hit under PEP 440
 *    ordering. Ranges matter because IBM `X.Y.Z.postN` rebuilds are not PyPI releases, so they
 *    are never in `versions[]`: 2.17.0.post0 is inside [0, fixed 2.17.1); 2.17.1.post0 is not.
 *    Events: `introduced` opens (0 = -inf), `fixed` closes at that version, `last_affected`
 *    closes above it, `limit` bounds the range. An event version that is not PEP 440 cannot be
 *    compared: an unreadable `introduced` is taken as 0 and an unreadable `fixed`/
 *    `last_affected`/`limit` is ignored, so damage can only widen a range (fail closed).
 * 3. Decision per match:
 *      MAL-* id or alias               -> "malicious"  ZWH-VULN-MALICIOUS (never waivable)
 *      base score over the threshold   -> "high"       ZWH-VULN-HIGH      (waivable)
 *      no score at all                 -> "unscored"   ZWH-VULN-UNSCORED  (waivable; or allowed)
 *      score not over the threshold    -> "below"      (reported, not refused)
 *    Score: package-level severity, else top-level; CVSS_V4 over V3 over V2 ("preferred") or
 *    the highest valid one ("max"); invalid vectors are ignored (and reported). Without a valid
 *    vector, GHSA's database_specific.severity label is used at the top of its band (LOW 3.9,
 *    MODERATE 6.9, HIGH 8.9, CRITICAL 10.0), so a label can never look milder than it is.
 *    Threshold: refuseAt "ge" refuses score >= maxCvss (default; CVSS "High" starts at 7.0),
 *    "gt" refuses score > maxCvss (IBM's literal "scores > 7").
 * 4. A waiver applies when its id equals the record id or one of its aliases (either way:
 *    a waiver for the CVE covers the GHSA and the PYSEC record), its package (if given) and
 *    version (if given) match, and it has not expired at `now`. Expired waivers are reported.
 */
import { refusal, ZwhError } from "./errors";
import { cvssBaseScore, CvssVersion } from "./cvss";
import { compareVersions, isValidVersion, versionsEqual } from "./pep440";
import { normalizeName } from "./names";

export const VULN = {
  MALICIOUS: "ZWH-VULN-MALICIOUS",
  HIGH: "ZWH-VULN-HIGH",
  UNSCORED: "ZWH-VULN-UNSCORED",
  /** The OSV snapshot cannot be read (not a zip, oversized, bad JSON). */
  DB: "ZWH-VULN-DB",
  /** A waiver file is malformed, unsigned, or signed by too few trusted keys. */
  WAIVERS: "ZWH-VULN-WAIVERS",
  /** Bad --max-cvss / --cvss-compare / other gate options. */
  USAGE: "ZWH-VULN-USAGE",
} as const;

// ----------------------------------------------------------------------------- OSV schema subset

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}
export interface OsvRange {
  type: string;
  events: OsvEvent[];
}
export interface OsvSeverity {
  type: string;
  score: string;
}
export interface OsvAffected {
  package?: { ecosystem?: string; name?: string; purl?: string };
  severity?: OsvSeverity[];
  ranges?: OsvRange[];
  versions?: string[];
  database_specific?: Record<string, unknown>;
  ecosystem_specific?: Record<string, unknown>;
}
export interface OsvRecord {
  id: string;
  modified?: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  related?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  database_specific?: Record<string, unknown>;
}

/** Check the fields the gate relies on; returns a reason when the record is unusable. */
export function osvRecordProblem(r: unknown): string | undefined {
  if (typeof r !== "object" || r === null || Array.isArray(r)) return "not an object";
  const o = r as Record<string, unknown>;
  if (typeof o.id !== "string" || !o.id) return "no id";
  if (o.aliases !== undefined && (!Array.isArray(o.aliases) || o.aliases.some((a) => typeof a !== "string"))) return "aliases is not a list of strings";
  if (o.affected !== undefined && !Array.isArray(o.affected)) return "affected is not a list";
  if (o.severity !== undefined && !Array.isArray(o.severity)) return "severity is not a list";
  return undefined;
}

/** Normalized PyPI package names a record affects. */
export function osvPackages(r: OsvRecord): string[] {
  const out = new Set<string>();
  for (const a of r.affected ?? []) {
    if (a?.package?.ecosystem === "PyPI" && typeof a.package.name === "string") out.add(normalizeName(a.package.name));
  }
  return [...out];
}

// ----------------------------------------------------------------------------- ranges

function cmp(a: string, b: string): number {
  return compareVersions(a, b);
}

/** Is `version` inside one OSV range (events evaluated in version order)? */
export function inOsvRange(version: string, range: OsvRange): boolean {
  if (!Array.isArray(range?.events)) return false;
  const introduced: string[] = [];
  const closers: Array<{ kind: "fixed" | "last_affected"; v: string }> = [];
  const limits: string[] = [];
  for (const e of range.events) {
    if (!e || typeof e !== "object") continue;
    if (typeof e.introduced === "string") introduced.push(e.introduced === "0" || !isValidVersion(e.introduced) ? "0" : e.introduced);
    if (typeof e.fixed === "string" && isValidVersion(e.fixed)) closers.push({ kind: "fixed", v: e.fixed });
    if (typeof e.last_affected === "string" && isValidVersion(e.last_affected)) closers.push({ kind: "last_affected", v: e.last_affected });
    if (typeof e.limit === "string" && e.limit !== "*" && isValidVersion(e.limit)) limits.push(e.limit);
  }
  if (limits.some((l) => cmp(version, l) >= 0)) return false;
  // Each introduced opens an interval closed by the lowest closer above it (OSV's sorted walk).
  for (const intro of introduced) {
    if (intro !== "0" && cmp(version, intro) < 0) continue;
    const above = closers.filter((c) => intro === "0" || cmp(c.v, intro) >= 0).sort((a, b) => cmp(a.v, b.v));
    const close = above[0];
    if (!close) return true;
    if (close.kind === "fixed" ? cmp(version, close.v) < 0 : cmp(version, close.v) <= 0) return true;
  }
  return false;
}

/** Does this affected[] entry cover the version? (exact versions[] hit or a range hit) */
export function affectsVersion(a: OsvAffected, version: string): boolean {
  if (!isValidVersion(version)) return (a.versions ?? []).includes(version);
  if ((a.versions ?? []).some((v) => typeof v === "string" && isValidVersion(v) && versionsEqual(v, version))) return true;
  return (a.ranges ?? []).some((r) => (r?.type === "ECOSYSTEM" || r?.type === "SEMVER") && inOsvRange(version, r));
}

// ----------------------------------------------------------------------------- scores

export interface GateSettings {
  /** Threshold (0-10, default 7.0). */
  maxCvss: number;
  /** "ge": refuse score >= maxCvss (default); "gt": refuse score > maxCvss. */
  refuseAt: "ge" | "gt";
  /** Report unscored matches instead of refusing them. */
  allowUnscored: boolean;
  /** "preferred" (V4 > V3 > V2, default) or "max" (highest valid vector). */
  scoreChoice?: "preferred" | "max";
}

export const DEFAULT_GATE: GateSettings = { maxCvss: 7.0, refuseAt: "ge", allowUnscored: false, scoreChoice: "preferred" };

export interface ScoreInfo {
  /** Base score used for the decision; null when unscored. */
  score: number | null;
  /** "CVSS_V4 4.0", "label HIGH", or "none". */
  source: string;
  vector?: string;
  /** Vectors that were rejected, with why. */
  invalid: Array<{ type: string; vector: string; reason: string }>;
}

const PREFERENCE = ["CVSS_V4", "CVSS_V3", "CVSS_V2"];
const LABEL_TOP: Record<string, number> = { LOW: 3.9, MODERATE: 6.9, MEDIUM: 6.9, HIGH: 8.9, CRITICAL: 10.0 };

export function scoreFor(r: OsvRecord, a: OsvAffected | undefined, choice: GateSettings["scoreChoice"] = "preferred"): ScoreInfo {
  const sev = a?.severity?.length ? a.severity : (r.severity ?? []);
  const invalid: ScoreInfo["invalid"] = [];
  const valid: Array<{ type: string; vector: string; base: number; version: CvssVersion }> = [];
  for (const s of sev) {
    if (!s || !PREFERENCE.includes(s.type)) continue;
    try {
      const c = cvssBaseScore(s.score, s.type);
      valid.push({ type: s.type, vector: s.score, base: c.base, version: c.version });
    } catch (e) {
      invalid.push({ type: s.type, vector: String(s.score), reason: (e as Error).message });
    }
  }
  if (valid.length) {
    const pick = choice === "max"
      ? valid.reduce((x, y) => (y.base > x.base ? y : x))
      : valid.sort((x, y) => PREFERENCE.indexOf(x.type) - PREFERENCE.indexOf(y.type))[0];
    return { score: pick.base, source: `${pick.type} ${pick.version}`, vector: pick.vector, invalid };
  }
  const label = [a?.database_specific?.severity, r.database_specific?.severity].find((x) => typeof x === "string") as string | undefined;
  const top = label ? LABEL_TOP[label.toUpperCase()] : undefined;
  if (top !== undefined) return { score: top, source: `label ${label!.toUpperCase()}`, invalid };
  return { score: null, source: "none", invalid };
}

export function overThreshold(score: number, s: Pick<GateSettings, "maxCvss" | "refuseAt">): boolean {
  return s.refuseAt === "gt" ? score > s.maxCvss : score >= s.maxCvss;
}

// ----------------------------------------------------------------------------- waivers

export interface Waiver {
  /** Vulnerability id or alias (GHSA-…, PYSEC-…, CVE-…). */
  id: string;
  /** Normalized package name; absent = any package. */
  package?: string;
  /** Exact version; absent = any version. */
  version?: string;
  reason: string;
  /** RFC 3339 instant after which the waiver no longer applies. */
  expires: string;
  /** Where it came from ("waivers.dsse.json", "VEX ..."). */
  source?: string;
}

// ----------------------------------------------------------------------------- gate

export type GateDecision = "malicious" | "high" | "unscored" | "below" | "waived";

export interface GateMatch {
  package: string;
  version: string;
  /** Wheel filename (bundle) or host/release (scan), for messages. */
  where?: string;
  id: string;
  aliases: string[];
  summary?: string;
  decision: GateDecision;
  score: number | null;
  scoreSource: string;
  vector?: string;
  invalidVectors: ScoreInfo["invalid"];
  /** Fixed versions named in the matching ranges (hint for the upgrade). */
  fixed: string[];
  waiver?: Waiver;
  /** Waivers that would have applied but expired. */
  expiredWaivers?: Waiver[];
}

export interface GatePackage {
  name: string;
  version: string;
  where?: string;
}

/** Minimal index interface the gate needs (vuln-db.ts implements it over all.zip). */
export interface OsvIndex {
  recordsFor(normalizedName: string): readonly OsvRecord[];
}

export function isMalicious(r: OsvRecord): boolean {
  return r.id.startsWith("MAL-") || (r.aliases ?? []).some((a) => a.startsWith("MAL-"));
}

function fixedVersions(a: OsvAffected): string[] {
  const out: string[] = [];
  for (const r of a.ranges ?? []) for (const e of r?.events ?? []) if (typeof e?.fixed === "string") out.push(e.fixed);
  return [...new Set(out)];
}

function waiverFor(m: { package: string; version: string; id: string; aliases: string[] }, waivers: readonly Waiver[], now: Date): { active?: Waiver; expired: Waiver[] } {
  const ids = new Set([m.id, ...m.aliases].map((x) => x.toUpperCase()));
  const expired: Waiver[] = [];
  for (const w of waivers) {
    if (!ids.has(w.id.toUpperCase())) continue;
    if (w.package && normalizeName(w.package) !== m.package) continue;
    if (w.version && !(isValidVersion(w.version) && isValidVersion(m.version) ? versionsEqual(w.version, m.version) : w.version === m.version)) continue;
    if (Date.parse(w.expires) > now.getTime()) return { active: w, expired };
    expired.push(w);
  }
  return { expired };
}

/** Every match of every package, with its decision. */
export function evaluateGate(pkgs: readonly GatePackage[], index: OsvIndex, settings: GateSettings, waivers: readonly Waiver[] = [], now = new Date()): GateMatch[] {
  const out: GateMatch[] = [];
  for (const p of pkgs) {
    const name = normalizeName(p.name);
    for (const r of index.recordsFor(name)) {
      if (r.withdrawn) continue;
      const hits = (r.affected ?? []).filter((a) => a?.package?.ecosystem === "PyPI" && typeof a.package.name === "string" && normalizeName(a.package.name) === name && affectsVersion(a, p.version));
      if (!hits.length) continue;
      const a = hits[0];
      const info = scoreFor(r, a, settings.scoreChoice);
      const aliases = (r.aliases ?? []).filter((x) => typeof x === "string");
      let decision: GateDecision;
      if (isMalicious(r)) decision = "malicious";
      else if (info.score === null) decision = "unscored";
      else decision = overThreshold(info.score, settings) ? "high" : "below";
      const m: GateMatch = {
        package: name, version: p.version, ...(p.where ? { where: p.where } : {}), id: r.id, aliases,
        ...(r.summary ? { summary: r.summary } : {}),
        decision, score: info.score, scoreSource: info.source, ...(info.vector ? { vector: info.vector } : {}),
        invalidVectors: info.invalid, fixed: [...new Set(hits.flatMap(fixedVersions))],
      };
      if (decision === "high" || decision === "unscored") {
        const w = waiverFor(m, waivers, now);
        if (w.expired.length) m.expiredWaivers = w.expired;
        if (w.active) {
          m.waiver = w.active;
          m.decision = "waived";
        }
      }
      out.push(m);
    }
  }
  return out.sort((x, y) => (x.package < y.package ? -1 : x.package > y.package ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** Matches the gate refuses under these settings. */
export function refusedMatches(ms: readonly GateMatch[], s: Pick<GateSettings, "allowUnscored">): GateMatch[] {
  return ms.filter((m) => m.decision === "malicious" || m.decision === "high" || (m.decision === "unscored" && !s.allowUnscored));
}

function idList(m: GateMatch): string {
  return m.aliases.length ? `${m.id} (aliases ${m.aliases.join(", ")})` : m.id;
}

/** The refusal for one refused match; `cli` names the CLI in hints ("zwh" or "zowe wh"). */
export function gateRefusal(m: GateMatch, s: GateSettings, cli = "zwh"): ZwhError {
  const what = `${m.package} ${m.version}${m.where ? ` (${m.where})` : ""}`;
  const details = { package: m.package, version: m.version, id: m.id, aliases: m.aliases, score: m.score, scoreSource: m.scoreSource, vector: m.vector ?? null, fixed: m.fixed, where: m.where ?? null };
  const expired = m.expiredWaivers?.length ? ` A waiver for ${m.expiredWaivers.map((w) => w.id).join(", ")} expired on ${m.expiredWaivers.map((w) => w.expires).join(", ")}.` : "";
  const upgrade = m.fixed.length ? `Take a version with the fix (${m.fixed.join(", ")}), ` : "Remove the package, ";
  if (m.decision === "malicious") {
    return refusal(VULN.MALICIOUS, `${what} is a known malicious package: ${idList(m)}${m.summary ? ` - ${m.summary}` : ""}`, {
      subject: m.package, details,
      hint: "Remove it from the bundle and treat every system it reached as compromised. Malicious-package matches cannot be waived.",
    });
  }
  if (m.decision === "high") {
    const rule = s.refuseAt === "gt" ? `> ${s.maxCvss.toFixed(1)}` : `>= ${s.maxCvss.toFixed(1)}`;
    return refusal(VULN.HIGH, `${what} has ${idList(m)} with CVSS base score ${m.score!.toFixed(1)} (${m.scoreSource}; refused at ${rule})${m.summary ? ` - ${m.summary}` : ""}.${expired}`, {
      subject: m.package, details,
      hint: `${upgrade}or add a signed waiver for ${m.id} with a reason and an expiry (see '${cli} vuln sign').`,
    });
  }
  return refusal(VULN.UNSCORED, `${what} has ${idList(m)} with no CVSS score or severity${m.invalidVectors.length ? ` (invalid vector: ${m.invalidVectors.map((v) => v.reason).join("; ")})` : ""}${m.summary ? ` - ${m.summary}` : ""}.${expired}`, {
    subject: m.package, details,
    hint: `${upgrade}assess it and add a signed waiver for ${m.id}, or allow unscored matches with --allow-unscored.`,
  });
}
