/**
 * Waiver documents for the vulnerability gate, pure parsing. Two forms are read (both arrive
 * signed in a DSSE envelope; verification is src/bundle/waivers.ts):
 *
 * 1. Wheelhouse waiver list (payload type application/vnd.zos-wheelhouse.vuln-waivers+json):
 *    { "formatVersion": 1,
 *      "waivers": [{ "id": "GHSA-…|PYSEC-…|CVE-…", "package": "setuptools",   // package optional
 *                    "version": "65.5.0",                                       // optional
 *                    "reason": "not reachable: …", "expires": "2026-09-30T00:00:00Z" }] }
 * 2. CycloneDX VEX (payload type application/vnd.cyclonedx+json): each vulnerabilities[] entry
 *    with analysis.state "not_affected", "resolved" or "false_positive" becomes a waiver for its
 *    id and every references[].id (aliases); the reason is analysis.detail or
 *    analysis.justification; the expiry is the property "wheelhouse:expires" (CycloneDX VEX has
 *    no expiry field, and a waiver without one is refused); affects[].ref, when it is a
 *    pkg:pypi purl, limits the waiver to that package (and version).
 * Unknown fields in the Wheelhouse list are refused (a typo must not widen a waiver).
 */
import { ZwhError } from "./errors";
import { normalizeName } from "./names";
import { VULN, Waiver } from "./osv-match";

export const WAIVERS_PAYLOAD_TYPE = "application/vnd.zos-wheelhouse.vuln-waivers+json";
export const CYCLONEDX_PAYLOAD_TYPE = "application/vnd.cyclonedx+json";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ID_RE = /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9._:-]+$/;

function bad(source: string, why: string): ZwhError {
  return new ZwhError(VULN.WAIVERS, `${source}: ${why}`, {
    subject: source,
    hint: "Each waiver needs an id (GHSA-/PYSEC-/CVE-…), a reason and an RFC 3339 expiry; fix the document and sign it again.",
  });
}

function expiry(v: unknown, source: string, where: string): string {
  if (typeof v !== "string" || !RFC3339.test(v) || Number.isNaN(Date.parse(v))) throw bad(source, `${where}.expires must be an RFC 3339 date-time (e.g. 2026-09-30T00:00:00Z)`);
  return v;
}

export function parseWaiverList(doc: unknown, source: string): Waiver[] {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw bad(source, "is not a JSON object");
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== "formatVersion" && k !== "waivers") throw bad(source, `unknown field ${k}`);
  if (o.formatVersion !== 1) throw bad(source, "formatVersion must be 1");
  if (!Array.isArray(o.waivers)) throw bad(source, "waivers must be a list");
  return o.waivers.map((w, i) => {
    const where = `waivers[${i}]`;
    if (typeof w !== "object" || w === null || Array.isArray(w)) throw bad(source, `${where} is not an object`);
    const e = w as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!["id", "package", "version", "reason", "expires"].includes(k)) throw bad(source, `${where}: unknown field ${k}`);
    if (typeof e.id !== "string" || !ID_RE.test(e.id)) throw bad(source, `${where}.id must be a vulnerability id such as GHSA-xxxx-xxxx-xxxx`);
    if (typeof e.reason !== "string" || !e.reason.trim()) throw bad(source, `${where}.reason is required`);
    if (e.package !== undefined && (typeof e.package !== "string" || !e.package)) throw bad(source, `${where}.package must be a project name`);
    if (e.version !== undefined && (typeof e.version !== "string" || !e.version)) throw bad(source, `${where}.version must be a version`);
    return {
      id: e.id,
      ...(e.package ? { package: normalizeName(e.package as string) } : {}),
      ...(e.version ? { version: e.version as string } : {}),
      reason: e.reason.trim(),
      expires: expiry(e.expires, source, where),
      source,
    };
  });
}

const VEX_WAIVING = ["not_affected", "resolved", "false_positive"];

/** pkg:pypi/<name>@<version>?… → {name, version}; anything else → undefined. */
function pypiPurl(ref: string): { name: string; version?: string } | undefined {
  const m = /^pkg:pypi\/([^@?#/]+)(?:@([^?#]+))?/.exec(ref);
  if (!m) return undefined;
  return { name: normalizeName(decodeURIComponent(m[1])), ...(m[2] ? { version: decodeURIComponent(m[2]) } : {}) };
}

export function parseVex(doc: unknown, source: string): Waiver[] {
  if (typeof doc !== "object" || doc === null || (doc as Record<string, unknown>).bomFormat !== "CycloneDX") throw bad(source, "is not a CycloneDX document");
  const vulns = (doc as Record<string, unknown>).vulnerabilities;
  if (!Array.isArray(vulns)) throw bad(source, "has no vulnerabilities[] (not a VEX document)");
  const out: Waiver[] = [];
  vulns.forEach((v, i) => {
    const where = `vulnerabilities[${i}]`;
    const e = (v ?? {}) as Record<string, unknown>;
    const analysis = (e.analysis ?? {}) as Record<string, unknown>;
    if (!VEX_WAIVING.includes(String(analysis.state))) return; // exploitable / in_triage: no waiver
    if (typeof e.id !== "string" || !ID_RE.test(e.id)) throw bad(source, `${where}.id must be a vulnerability id`);
    const reason = [analysis.justification, analysis.detail].filter((x) => typeof x === "string" && x.trim()).join(": ");
    if (!reason) throw bad(source, `${where}.analysis needs a justification or detail (the waiver's reason)`);
    const props = Array.isArray(e.properties) ? (e.properties as Array<Record<string, unknown>>) : [];
    const exp = props.find((p) => p?.name === "wheelhouse:expires")?.value;
    const expires = expiry(exp, source, `${where} property wheelhouse:expires`);
    const refs = Array.isArray(e.references) ? (e.references as Array<Record<string, unknown>>) : [];
    const ids = [e.id, ...refs.map((r) => r?.id).filter((x): x is string => typeof x === "string" && ID_RE.test(x))];
    const affects = Array.isArray(e.affects) ? (e.affects as Array<Record<string, unknown>>) : [];
    const pkgs = affects.map((a) => (typeof a?.ref === "string" ? pypiPurl(a.ref) : undefined));
    const scopes = pkgs.length && pkgs.every((p) => p) ? (pkgs as Array<{ name: string; version?: string }>) : [undefined];
    for (const id of new Set(ids)) {
      for (const s of scopes) {
        out.push({ id, ...(s ? { package: s.name } : {}), ...(s?.version ? { version: s.version } : {}), reason, expires, source });
      }
    }
  });
  return out;
}
