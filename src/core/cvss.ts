/**
 * CVSS vectors from OSV `severity[]`: validate strictly, then compute the BASE score with
 * ae-cvss-calculator (supply-chain.md §11).
 *
 * Why validate first: the calculator scores a truncated vector (say, without `A:`) as 0 instead
 * of failing, which would let a damaged record pass a gate. So a vector is accepted only when
 * its prefix matches the OSV type, every required base metric is present, no metric repeats,
 * and every key and value is one the version defines. Only the base metrics are scored (the
 * gate compares base scores; temporal/threat/environmental metrics are ignored).
 */
import { fromVector } from "ae-cvss-calculator";

export type CvssVersion = "2.0" | "3.0" | "3.1" | "4.0";

export interface CvssScore {
  version: CvssVersion;
  /** The vector as given. */
  vector: string;
  /** Base score 0.0-10.0. */
  base: number;
}

type MetricTable = Record<string, string[]>;

const V2_BASE: MetricTable = { AV: ["L", "A", "N"], AC: ["H", "M", "L"], Au: ["M", "S", "N"], C: ["N", "P", "C"], I: ["N", "P", "C"], A: ["N", "P", "C"] };
const V2_OPT: MetricTable = {
  E: ["U", "POC", "F", "H", "ND"], RL: ["OF", "TF", "W", "U", "ND"], RC: ["UC", "UR", "C", "ND"],
  CDP: ["N", "L", "LM", "MH", "H", "ND"], TD: ["N", "L", "M", "H", "ND"], CR: ["L", "M", "H", "ND"], IR: ["L", "M", "H", "ND"], AR: ["L", "M", "H", "ND"],
};
const V3_BASE: MetricTable = {
  AV: ["N", "A", "L", "P"], AC: ["L", "H"], PR: ["N", "L", "H"], UI: ["N", "R"], S: ["U", "C"], C: ["H", "L", "N"], I: ["H", "L", "N"], A: ["H", "L", "N"],
};
const CIA_X = ["X", "H", "L", "N"];
const V3_OPT: MetricTable = {
  E: ["X", "H", "F", "P", "U"], RL: ["X", "U", "W", "T", "O"], RC: ["X", "C", "R", "U"],
  CR: ["X", "H", "M", "L"], IR: ["X", "H", "M", "L"], AR: ["X", "H", "M", "L"],
  MAV: ["X", "N", "A", "L", "P"], MAC: ["X", "L", "H"], MPR: ["X", "N", "L", "H"], MUI: ["X", "N", "R"], MS: ["X", "U", "C"],
  MC: CIA_X, MI: CIA_X, MA: CIA_X,
};
const HLN = ["H", "L", "N"];
const V4_BASE: MetricTable = {
  AV: ["N", "A", "L", "P"], AC: ["L", "H"], AT: ["N", "P"], PR: ["N", "L", "H"], UI: ["N", "P", "A"],
  VC: HLN, VI: HLN, VA: HLN, SC: HLN, SI: HLN, SA: HLN,
};
const V4_OPT: MetricTable = {
  E: ["X", "A", "P", "U"], CR: ["X", "H", "M", "L"], IR: ["X", "H", "M", "L"], AR: ["X", "H", "M", "L"],
  MAV: ["X", "N", "A", "L", "P"], MAC: ["X", "L", "H"], MAT: ["X", "N", "P"], MPR: ["X", "N", "L", "H"], MUI: ["X", "N", "P", "A"],
  MVC: CIA_X, MVI: CIA_X, MVA: CIA_X, MSC: CIA_X, MSI: ["X", "S", "H", "L", "N"], MSA: ["X", "S", "H", "L", "N"],
  S: ["X", "N", "P"], AU: ["X", "N", "Y"], R: ["X", "A", "U", "I"], V: ["X", "D", "C"], RE: ["X", "L", "M", "H"], U: ["X", "Clear", "Green", "Amber", "Red"],
};

const TABLES: Record<CvssVersion, { base: MetricTable; opt: MetricTable }> = {
  "2.0": { base: V2_BASE, opt: V2_OPT },
  "3.0": { base: V3_BASE, opt: V3_OPT },
  "3.1": { base: V3_BASE, opt: V3_OPT },
  "4.0": { base: V4_BASE, opt: V4_OPT },
};

/** OSV severity types and the vector versions they may carry. */
const OSV_TYPES: Record<string, CvssVersion[]> = { CVSS_V2: ["2.0"], CVSS_V3: ["3.0", "3.1"], CVSS_V4: ["4.0"] };

export class CvssVectorError extends Error {}

/** Split and check a vector; returns the version and its base metrics in canonical order. */
export function validateCvssVector(vector: string, osvType?: string): { version: CvssVersion; base: Array<[string, string]> } {
  if (typeof vector !== "string" || vector.length === 0 || vector.length > 512) throw new CvssVectorError("not a vector string");
  let version: CvssVersion;
  let body = vector.trim();
  const m = /^CVSS:(3\.0|3\.1|4\.0)\/(.*)$/.exec(body);
  if (m) {
    version = m[1] as CvssVersion;
    body = m[2];
  } else {
    if (body.startsWith("CVSS:")) throw new CvssVectorError(`unknown CVSS version prefix in "${vector}"`);
    if (body.startsWith("(") && body.endsWith(")")) body = body.slice(1, -1); // NVD writes v2 as (AV:N/...)
    version = "2.0";
  }
  if (osvType !== undefined && OSV_TYPES[osvType] && !OSV_TYPES[osvType].includes(version)) {
    throw new CvssVectorError(`${osvType} carries a CVSS ${version} vector`);
  }
  const t = TABLES[version];
  const seen = new Map<string, string>();
  for (const part of body.split("/")) {
    const kv = /^([A-Za-z]+):([A-Za-z]+)$/.exec(part);
    if (!kv) throw new CvssVectorError(`"${part}" is not KEY:VALUE`);
    const [, k, v] = kv;
    if (seen.has(k)) throw new CvssVectorError(`metric ${k} appears twice`);
    const allowed = t.base[k] ?? t.opt[k];
    if (!allowed) throw new CvssVectorError(`unknown metric ${k} for CVSS ${version}`);
    if (!allowed.includes(v)) throw new CvssVectorError(`${k}:${v} is not a valid value (${allowed.join(", ")})`);
    seen.set(k, v);
  }
  const missing = Object.keys(t.base).filter((k) => !seen.has(k));
  if (missing.length) throw new CvssVectorError(`missing required metric(s) ${missing.join(", ")}`);
  return { version, base: Object.keys(t.base).map((k) => [k, seen.get(k)!]) };
}

/** Validate and compute the base score. Throws CvssVectorError for anything invalid. */
export function cvssBaseScore(vector: string, osvType?: string): CvssScore {
  const { version, base } = validateCvssVector(vector, osvType);
  const baseVector = (version === "2.0" ? "" : `CVSS:${version}/`) + base.map(([k, v]) => `${k}:${v}`).join("/");
  let score: number;
  try {
    const s = fromVector(baseVector)?.calculateScores() as { base?: number } | undefined;
    score = Number(s?.base);
  } catch (e) {
    throw new CvssVectorError(`cannot score: ${(e as Error).message}`);
  }
  if (!Number.isFinite(score) || score < 0 || score > 10) throw new CvssVectorError(`calculator returned ${String(score)}`);
  return { version, vector, base: Math.round(score * 10) / 10 };
}
