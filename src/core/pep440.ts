/**
 * PEP 440 versions and specifier sets.
 *
 * A thin layer over @renovatebot/pep440 4.x. The library does the ordering and the operator
 * semantics; this module fixes the places where it disagrees with PEP 440 / `packaging`:
 *  - `==1.0+corp.1` / `!=1.0+corp.1`: the library ignores the local label on BOTH sides, so
 *    `1.0+corp.2` would satisfy `==1.0+corp.1`. PEP 440 says a specifier with a local label
 *    must match it exactly.
 *  - `===` is arbitrary string equality (case-insensitive, like `packaging`).
 *  - pre-release handling is decided for the whole set (any inclusive clause naming a
 *    pre-release allows them), not clause by clause.
 *  - normalization of local labels (`+Corp_1` → `+corp.1`); the library's `clean` emits `,`.
 *  - surrounding whitespace is allowed around a version (PEP 440 says so).
 */
import * as lib from "@renovatebot/pep440";
import { ZwhError } from "./errors";

export interface SpecifierClause {
  operator: "~=" | "==" | "!=" | "<=" | ">=" | "<" | ">" | "===";
  version: string;
}

export interface SatisfiesOptions {
  /**
   * true: pre-releases may match; false: never; undefined: PEP 440 default (only when a clause
   * names a pre-release). Marker evaluation, Requires-Python and closure checks over an
   * explicitly pinned bundle pass true, as pip/packaging do in those places.
   */
  prereleases?: boolean;
}

const CLAUSE_RE = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*(\S(?:.*\S)?)\s*$/;

/** True when `v` is a valid PEP 440 version (surrounding whitespace allowed). */
export function isValidVersion(v: string): boolean {
  return typeof v === "string" && lib.explain(v.trim()) !== null;
}

/** Canonical form: `1.0RC1` → `1.0rc1`, `1!2.0-post3+Corp_1` → `1!2.0.post3+corp.1`. */
export function normalizeVersion(v: string): string {
  const e = typeof v === "string" ? lib.explain(v.trim()) : null;
  if (!e) throw invalidVersion(v);
  let s = e.epoch ? `${e.epoch}!` : "";
  s += e.release.join(".");
  // explain() returns pre as [letter, number]; post and dev as numbers (null when absent).
  const pre = e.pre as unknown as [string, number] | null;
  const post = e.post as unknown as number | null;
  const dev = e.dev as unknown as number | null;
  if (pre) s += `${pre[0]}${pre[1]}`;
  if (post !== null && post !== undefined) s += `.post${post}`;
  if (dev !== null && dev !== undefined) s += `.dev${dev}`;
  if (e.local) s += `+${e.local}`;
  return s;
}

/** -1, 0 or 1 by PEP 440 ordering (local labels included). Throws on an invalid version. */
export function compareVersions(a: string, b: string): number {
  if (!isValidVersion(a)) throw invalidVersion(a);
  if (!isValidVersion(b)) throw invalidVersion(b);
  const c = lib.compare(a.trim(), b.trim());
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/** PEP 440 equality of two versions, including the local label (`1.0` == `1.0.0`). */
export function versionsEqual(a: string, b: string): boolean {
  return isValidVersion(a) && isValidVersion(b) && compareVersions(a, b) === 0;
}

export function isPrerelease(v: string): boolean {
  const e = lib.explain(v.trim());
  return !!e && (e.is_prerelease || e.is_devrelease);
}

/**
 * Split a specifier set (`>=1.0, <2`) into clauses and validate each. The empty string is the
 * empty set (matches everything). Throws ZWH-PEP440-SPECIFIER on anything invalid.
 */
export function parseSpecifierSet(spec: string): SpecifierClause[] {
  const trimmed = spec.trim();
  if (trimmed === "") return [];
  const out: SpecifierClause[] = [];
  for (const part of trimmed.split(",")) {
    const m = CLAUSE_RE.exec(part);
    if (!m) throw invalidSpecifier(spec, `"${part.trim()}" is not an operator followed by a version`);
    const operator = m[1] as SpecifierClause["operator"];
    const version = m[2];
    if (operator === "===") {
      if (/\s|,|;/.test(version)) throw invalidSpecifier(spec, `"${version}" is not a single token`);
    } else {
      if (!lib.validRange(`${operator}${version}`)) throw invalidSpecifier(spec, `"${operator}${version}" is not a PEP 440 clause`);
      // The library accepts a few things PEP 440 forbids; enforce the remaining rules here.
      const wildcard = version.endsWith(".*");
      if (wildcard && operator !== "==" && operator !== "!=") {
        throw invalidSpecifier(spec, `"${operator}${version}": only == and != take a .* suffix`);
      }
      if (version.includes("+") && (wildcard || (operator !== "==" && operator !== "!="))) {
        throw invalidSpecifier(spec, `"${operator}${version}": a local version label is only allowed with == and !=`);
      }
    }
    out.push({ operator, version });
  }
  return out;
}

export function isValidSpecifierSet(spec: string): boolean {
  try {
    parseSpecifierSet(spec);
    return true;
  } catch {
    return false;
  }
}

/** Canonical text of a specifier set: clauses without spaces, joined by ",". */
export function formatSpecifierSet(clauses: SpecifierClause[]): string {
  return clauses.map((c) => `${c.operator}${c.version}`).join(",");
}

/** Does `version` satisfy every clause of `spec`? Throws on an invalid specifier. */
export function satisfies(version: string, spec: string | SpecifierClause[], opts: SatisfiesOptions = {}): boolean {
  const clauses = typeof spec === "string" ? parseSpecifierSet(spec) : spec;
  const v = version.trim();
  const valid = isValidVersion(v);
  let allowPre = opts.prereleases;
  if (allowPre === undefined) {
    // PEP 440: a set admits pre-releases when an inclusive clause names one.
    allowPre = clauses.some(
      (c) => ["==", ">=", "<=", "~=", "==="].includes(c.operator) && isValidVersion(c.version.replace(/\.\*$/, "")) && isPrerelease(c.version.replace(/\.\*$/, "")),
    );
  }
  if (valid && !allowPre && isPrerelease(v)) return false;
  for (const c of clauses) {
    if (c.operator === "===") {
      if (v.toLowerCase() !== c.version.toLowerCase()) return false;
      continue;
    }
    if (!valid) return false; // An unparseable version can only match ===.
    if ((c.operator === "==" || c.operator === "!=") && c.version.includes("+")) {
      const eq = lib.compare(v, c.version) === 0; // full comparison, local label included
      if (c.operator === "==" ? !eq : eq) return false;
      continue;
    }
    if (!lib.satisfies(v, `${c.operator}${c.version}`, { prereleases: true })) return false;
  }
  return true;
}

function invalidVersion(v: unknown): ZwhError {
  return new ZwhError("ZWH-PEP440-VERSION", `"${String(v)}" is not a valid PEP 440 version`, {
    subject: String(v),
    hint: "Versions look like 1.2.3, 1.2.3.post1, 1!2.0 or 1.2.3+corp.1.",
  });
}

function invalidSpecifier(spec: string, why: string): ZwhError {
  return new ZwhError("ZWH-PEP440-SPECIFIER", `invalid version specifier "${spec}": ${why}`, {
    subject: spec,
    hint: "Use comma-separated clauses such as >=1.0,<2 or ==1.4.*.",
  });
}
