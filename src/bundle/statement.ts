/**
 * The bundle statement (manifest.intoto.json): an in-toto Statement v1 whose predicate
 * describes a closed wheel set for one target. The signed bytes are the file bytes, so the
 * statement is serialized deterministically: fixed key order, wheels sorted by normalized
 * name then filename, subjects sorted by name, 2-space JSON and a trailing newline.
 *
 * parseStatement() validates every field strictly (unknown fields are refused too, so a typo
 * cannot silently weaken a policy) and throws ZWH-BUNDLE-MALFORMED naming the bad field.
 */
import { refusal, ZwhError } from "../core/errors";
import { MARKER_VARIABLES, MarkerEnvironment } from "../core/pep508";
import { normalizeName } from "../core/names";
import { BUNDLE } from "./codes";
import { CHANNEL_NAME_RE } from "./signing/trust";

export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const PREDICATE_TYPE = "https://wheelhouse.zos/bundle/v1";

export const STATEMENT_FILE = "manifest.intoto.json";
export const DSSE_FILE = "manifest.dsse.json";
export const SSHSIG_FILE = "manifest.intoto.json.sig";
export const LOCK_FILE = "requirements.lock.txt";
/** CycloneDX 1.6 SBOM of the bundle (a subject: covered by the statement's hashes). */
export const SBOM_FILE = "sbom.cdx.json";
export const WHEELS_DIR = "wheels";
/** Files that are not subjects: the statement and its signatures. */
export const UNSIGNED_FILES: readonly string[] = [STATEMENT_FILE, DSSE_FILE, SSHSIG_FILE];

/** The pip flags the target must install with (supply-chain.md §3). */
export const DEFAULT_PIP_FLAGS: readonly string[] = [
  "--no-index",
  "--only-binary=:all:",
  "--require-hashes",
  "--isolated",
  "--disable-pip-version-check",
  "--no-cache-dir",
  "--no-input",
];

export interface Subject {
  name: string;
  digest: { sha256: string };
}

export interface BundleTarget {
  /** MAJOR.MINOR of the target interpreter. */
  pythonVersion: string;
  /** sys.implementation.name: "cpython". */
  implementation: string;
  /** sysconfig.get_platform(): "os390-29.00-8561" or "zos". */
  platform: string;
  /** Tags the target's pip accepts, best first. */
  compatibleTags: string[];
  /** PEP 508 marker environment of the target (every variable but `extra`). */
  markerEnv: MarkerEnvironment;
}

export interface BundleWheel {
  filename: string;
  /** PEP 503 normalized project name. */
  name: string;
  version: string;
  sha256: string;
  size: number;
  tags: string[];
  /** sha256 (hex) of the wheel's RECORD file: binds every member's hash. */
  recordSha256: string;
  requiresPython: string | null;
  requiresDist: string[];
  /**
   * The member list the workstation verified (names, sizes, sha256 of every entry, directories
   * too), as a count and the digest of its canonical form (src/core/member-list.ts). The target
   * recomputes it with Python's zipfile, pip's reader, before pip runs.
   */
  members: { count: number; sha256: string };
}

export interface DenyListPolicy {
  /** sha256 of the deny-list file the bundle was checked with (null: none given). */
  sha256: string | null;
  /** The rules, as written (comments and blank lines removed). */
  rules: string[];
}

/** The offline vulnerability gate the bundle passed at creation (docs/vulnerability-gate.md). */
export interface VulnPolicy {
  osvSnapshot: { ecosystem: "PyPI"; file: string; sha256: string; date: string | null; records: number };
  maxCvss: number;
  /** "ge": scores >= maxCvss were refused; "gt": scores > maxCvss. */
  refuseAt: "ge" | "gt";
  allowUnscored: boolean;
  /** Waivers that applied at creation (signed waiver lists / VEX). */
  waivers: Array<{ id: string; package: string; version: string; reason: string; expires: string }>;
}

/** Test-code rule: wheels shipping tests/ or test_*.py are refused or listed, except these. */
export interface TestCodePolicy {
  mode: "refuse" | "list";
  /** Wheel filenames or project names exempted. */
  exceptions: string[];
}

export interface BundlePolicy {
  onlyBinary: true;
  denyList: DenyListPolicy;
  onePerProject: true;
  /**
   * Start-up hooks (`.pth` files that land in site-packages) allowed in this bundle, as
   * `<project>:<file name>` (normalized project name), e.g. `setuptools:distutils-precedence.pth`.
   * Any other hook is refused (ZWH-WHEEL-STARTUP-HOOK).
   */
  startupHooks: string[];
  vulnerability?: VulnPolicy;
  testCode?: TestCodePolicy;
}

/** The publisher's hashed requirements file the wheels were checked against (two-channel check). */
export interface RequirementsSource {
  name: string;
  sha256: string;
  indexUrl: string | null;
  trustedHosts: string[];
  pins: number;
}

export interface BundlePredicate {
  bundleId: string;
  channel: string;
  sequence: number;
  createdAt: string;
  expires: string;
  target: BundleTarget;
  /** Top-level requirements (PEP 508); empty = every wheel is a root. */
  requirements: string[];
  wheels: BundleWheel[];
  policy: BundlePolicy;
  pip: { flags: string[] };
  /** Present when the bundle was created --from-requirements. */
  source?: { requirements: RequirementsSource };
}

export interface BundleStatement {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof PREDICATE_TYPE;
  predicate: BundlePredicate;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function sortWheels(wheels: BundleWheel[]): BundleWheel[] {
  return [...wheels].sort((a, b) => cmp(normalizeName(a.name), normalizeName(b.name)) || cmp(a.filename, b.filename));
}

/** Deterministic bytes of a statement (fixed key order; wheels and subjects sorted). */
export function serializeStatement(s: BundleStatement): Buffer {
  const p = s.predicate;
  const env: Record<string, string> = {};
  for (const k of Object.keys(p.target.markerEnv).sort()) {
    const v = p.target.markerEnv[k as keyof MarkerEnvironment];
    if (v !== undefined) env[k] = v;
  }
  const ordered = {
    _type: s._type,
    subject: [...s.subject].sort((a, b) => cmp(a.name, b.name)).map((x) => ({ name: x.name, digest: { sha256: x.digest.sha256 } })),
    predicateType: s.predicateType,
    predicate: {
      bundleId: p.bundleId,
      channel: p.channel,
      sequence: p.sequence,
      createdAt: p.createdAt,
      expires: p.expires,
      target: {
        pythonVersion: p.target.pythonVersion,
        implementation: p.target.implementation,
        platform: p.target.platform,
        compatibleTags: [...p.target.compatibleTags],
        markerEnv: env,
      },
      requirements: [...p.requirements],
      wheels: sortWheels(p.wheels).map((w) => ({
        filename: w.filename,
        name: w.name,
        version: w.version,
        sha256: w.sha256,
        size: w.size,
        tags: [...w.tags],
        recordSha256: w.recordSha256,
        requiresPython: w.requiresPython,
        requiresDist: [...w.requiresDist],
        members: { count: w.members.count, sha256: w.members.sha256 },
      })),
      policy: {
        onlyBinary: p.policy.onlyBinary,
        denyList: { sha256: p.policy.denyList.sha256, rules: [...p.policy.denyList.rules] },
        onePerProject: p.policy.onePerProject,
        startupHooks: [...p.policy.startupHooks].sort(),
        ...(p.policy.vulnerability ? { vulnerability: serializeVulnPolicy(p.policy.vulnerability) } : {}),
        ...(p.policy.testCode ? { testCode: { mode: p.policy.testCode.mode, exceptions: [...p.policy.testCode.exceptions] } } : {}),
      },
      pip: { flags: [...p.pip.flags] },
      ...(p.source ? { source: { requirements: serializeRequirementsSource(p.source.requirements) } } : {}),
    },
  };
  return Buffer.from(JSON.stringify(ordered, null, 2) + "\n", "utf8");
}

function serializeVulnPolicy(v: VulnPolicy): VulnPolicy {
  const o = v.osvSnapshot;
  return {
    osvSnapshot: { ecosystem: o.ecosystem, file: o.file, sha256: o.sha256, date: o.date, records: o.records },
    maxCvss: v.maxCvss,
    refuseAt: v.refuseAt,
    allowUnscored: v.allowUnscored,
    waivers: v.waivers.map((w) => ({ id: w.id, package: w.package, version: w.version, reason: w.reason, expires: w.expires })),
  };
}

function serializeRequirementsSource(r: RequirementsSource): RequirementsSource {
  return { name: r.name, sha256: r.sha256, indexUrl: r.indexUrl, trustedHosts: [...r.trustedHosts], pins: r.pins };
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation

function malformed(where: string, why: string, subject = STATEMENT_FILE): ZwhError {
  return refusal(BUNDLE.MALFORMED, `${subject}: ${where ? where + " " : ""}${why}`, {
    subject,
    details: where ? { field: where } : undefined,
    hint: "The manifest is not a valid Wheelhouse bundle statement; rebuild the bundle with 'zwh bundle create'.",
  });
}

/** JSON.parse with ZWH-BUNDLE-MALFORMED on failure (also used for the DSSE file and probes). */
export function parseJsonFile(bytes: Buffer, subject: string): unknown {
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) throw malformed("", "is not valid UTF-8", subject);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw malformed("", `is not valid JSON (${(e as Error).message})`, subject);
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

class V {
  constructor(readonly subject: string) {}
  obj(v: unknown, where: string, fields: string[], optional: string[] = []): Obj {
    if (!isObj(v)) throw malformed(where, "must be an object", this.subject);
    for (const k of Object.keys(v)) if (!fields.includes(k) && !optional.includes(k)) throw malformed(where ? `${where}.${k}` : k, "is not a known field", this.subject);
    for (const k of fields) if (!(k in v)) throw malformed(where ? `${where}.${k}` : k, "is missing", this.subject);
    return v;
  }
  str(v: unknown, where: string, re?: RegExp): string {
    if (typeof v !== "string" || v === "") throw malformed(where, "must be a non-empty string", this.subject);
    if (re && !re.test(v)) throw malformed(where, `has an invalid value ${JSON.stringify(v)}`, this.subject);
    return v;
  }
  strOrNull(v: unknown, where: string, re?: RegExp): string | null {
    return v === null ? null : this.str(v, where, re);
  }
  int(v: unknown, where: string): number {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw malformed(where, "must be a non-negative integer", this.subject);
    return v;
  }
  strList(v: unknown, where: string, allowEmpty = true): string[] {
    if (!Array.isArray(v)) throw malformed(where, "must be an array of strings", this.subject);
    if (!allowEmpty && v.length === 0) throw malformed(where, "must not be empty", this.subject);
    return v.map((x, i) => this.str(x, `${where}[${i}]`));
  }
  isTrue(v: unknown, where: string): true {
    if (v !== true) throw malformed(where, "must be true", this.subject);
    return true;
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
/** `<normalized project>:<file>.pth` (an allowed start-up hook). */
export const STARTUP_HOOK_RE = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?:[^/\\:\s]+\.pth$/;

/**
 * A statement from before member lists and start-up hook policy (issue 8): refused, because the
 * target could not check what pip reads against what was verified.
 */
function olderFormat(field: string, subject: string): ZwhError {
  return refusal(BUNDLE.MALFORMED, `${subject}: ${field} is missing: the bundle was made by an older Wheelhouse, whose statement does not carry the verified member lists`, {
    subject,
    details: { field, olderFormat: true },
    hint: "Re-create the bundle from its wheels with this version ('zwh bundle create'), then sign it again; older bundles are not deployed.",
  });
}
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Parse and strictly validate statement bytes; throws ZWH-BUNDLE-MALFORMED. */
export function parseStatement(bytes: Buffer, subject = STATEMENT_FILE): BundleStatement {
  return validateStatement(parseJsonFile(bytes, subject), subject);
}

export function validateStatement(raw: unknown, subject = STATEMENT_FILE): BundleStatement {
  const v = new V(subject);
  const top = v.obj(raw, "", ["_type", "subject", "predicateType", "predicate"]);
  if (top._type !== STATEMENT_TYPE) throw malformed("_type", `must be ${STATEMENT_TYPE}`, subject);
  if (top.predicateType !== PREDICATE_TYPE) throw malformed("predicateType", `must be ${PREDICATE_TYPE}`, subject);
  if (!Array.isArray(top.subject)) throw malformed("subject", "must be an array", subject);
  const seen = new Set<string>();
  const subjects: Subject[] = top.subject.map((s, i) => {
    const where = `subject[${i}]`;
    const o = v.obj(s, where, ["name", "digest"]);
    const name = v.str(o.name, `${where}.name`);
    const d = v.obj(o.digest, `${where}.digest`, ["sha256"]);
    const sha256 = v.str(d.sha256, `${where}.digest.sha256`, HEX64);
    if (seen.has(name)) throw malformed(`${where}.name`, `lists ${name} twice`, subject);
    seen.add(name);
    return { name, digest: { sha256 } };
  });
  const p = v.obj(top.predicate, "predicate", ["bundleId", "channel", "sequence", "createdAt", "expires", "target", "requirements", "wheels", "policy", "pip"], ["source"]);
  const t = v.obj(p.target, "predicate.target", ["pythonVersion", "implementation", "platform", "compatibleTags", "markerEnv"]);
  const envRaw = v.obj(t.markerEnv, "predicate.target.markerEnv", [], MARKER_VARIABLES.filter((x) => x !== "extra"));
  const markerEnv: MarkerEnvironment = {};
  for (const [k, val] of Object.entries(envRaw)) {
    if (typeof val !== "string") throw malformed(`predicate.target.markerEnv.${k}`, "must be a string", subject);
    markerEnv[k as keyof MarkerEnvironment] = val;
  }
  const target: BundleTarget = {
    pythonVersion: v.str(t.pythonVersion, "predicate.target.pythonVersion", /^3\.\d+$/),
    implementation: v.str(t.implementation, "predicate.target.implementation"),
    platform: v.str(t.platform, "predicate.target.platform"),
    compatibleTags: v.strList(t.compatibleTags, "predicate.target.compatibleTags", false),
    markerEnv,
  };
  if (!Array.isArray(p.wheels)) throw malformed("predicate.wheels", "must be an array", subject);
  const wheels: BundleWheel[] = p.wheels.map((w, i) => {
    const where = `predicate.wheels[${i}]`;
    if (isObj(w) && !("members" in w)) throw olderFormat(`${where}.members`, subject);
    const o = v.obj(w, where, ["filename", "name", "version", "sha256", "size", "tags", "recordSha256", "requiresPython", "requiresDist", "members"]);
    const mem = v.obj(o.members, `${where}.members`, ["count", "sha256"]);
    return {
      filename: v.str(o.filename, `${where}.filename`, /^[^/\\]+$/),
      name: v.str(o.name, `${where}.name`),
      version: v.str(o.version, `${where}.version`),
      sha256: v.str(o.sha256, `${where}.sha256`, HEX64),
      size: v.int(o.size, `${where}.size`),
      tags: v.strList(o.tags, `${where}.tags`, false),
      recordSha256: v.str(o.recordSha256, `${where}.recordSha256`, HEX64),
      requiresPython: v.strOrNull(o.requiresPython, `${where}.requiresPython`),
      requiresDist: v.strList(o.requiresDist, `${where}.requiresDist`),
      members: { count: v.int(mem.count, `${where}.members.count`), sha256: v.str(mem.sha256, `${where}.members.sha256`, HEX64) },
    };
  });
  if (isObj(p.policy) && !("startupHooks" in p.policy)) throw olderFormat("predicate.policy.startupHooks", subject);
  const pol = v.obj(p.policy, "predicate.policy", ["onlyBinary", "denyList", "onePerProject", "startupHooks"], ["vulnerability", "testCode"]);
  const hooks = v.strList(pol.startupHooks, "predicate.policy.startupHooks");
  hooks.forEach((h, i) => v.str(h, `predicate.policy.startupHooks[${i}]`, STARTUP_HOOK_RE));
  const dl = v.obj(pol.denyList, "predicate.policy.denyList", ["sha256", "rules"]);
  const pip = v.obj(p.pip, "predicate.pip", ["flags"]);
  const predicate: BundlePredicate = {
    bundleId: v.str(p.bundleId, "predicate.bundleId", ID_RE),
    channel: v.str(p.channel, "predicate.channel", CHANNEL_NAME_RE),
    sequence: v.int(p.sequence, "predicate.sequence"),
    createdAt: v.str(p.createdAt, "predicate.createdAt", RFC3339),
    expires: v.str(p.expires, "predicate.expires", RFC3339),
    target,
    requirements: v.strList(p.requirements, "predicate.requirements"),
    wheels,
    policy: {
      onlyBinary: v.isTrue(pol.onlyBinary, "predicate.policy.onlyBinary"),
      denyList: { sha256: v.strOrNull(dl.sha256, "predicate.policy.denyList.sha256", HEX64), rules: v.strList(dl.rules, "predicate.policy.denyList.rules") },
      onePerProject: v.isTrue(pol.onePerProject, "predicate.policy.onePerProject"),
      startupHooks: hooks,
    },
    pip: { flags: v.strList(pip.flags, "predicate.pip.flags") },
  };
  if (pol.vulnerability !== undefined) predicate.policy.vulnerability = validateVulnPolicy(v, pol.vulnerability);
  if (pol.testCode !== undefined) {
    const t = v.obj(pol.testCode, "predicate.policy.testCode", ["mode", "exceptions"]);
    predicate.policy.testCode = { mode: v.str(t.mode, "predicate.policy.testCode.mode", /^(refuse|list)$/) as TestCodePolicy["mode"], exceptions: v.strList(t.exceptions, "predicate.policy.testCode.exceptions") };
  }
  if (p.source !== undefined) {
    const src = v.obj(p.source, "predicate.source", ["requirements"]);
    const r = v.obj(src.requirements, "predicate.source.requirements", ["name", "sha256", "indexUrl", "trustedHosts", "pins"]);
    predicate.source = {
      requirements: {
        name: v.str(r.name, "predicate.source.requirements.name", /^[^/\\]+$/),
        sha256: v.str(r.sha256, "predicate.source.requirements.sha256", HEX64),
        indexUrl: v.strOrNull(r.indexUrl, "predicate.source.requirements.indexUrl"),
        trustedHosts: v.strList(r.trustedHosts, "predicate.source.requirements.trustedHosts"),
        pins: v.int(r.pins, "predicate.source.requirements.pins"),
      },
    };
  }
  return { _type: STATEMENT_TYPE, subject: subjects, predicateType: PREDICATE_TYPE, predicate };
}

function validateVulnPolicy(v: V, raw: unknown): VulnPolicy {
  const w = "predicate.policy.vulnerability";
  const o = v.obj(raw, w, ["osvSnapshot", "maxCvss", "refuseAt", "allowUnscored", "waivers"]);
  const s = v.obj(o.osvSnapshot, `${w}.osvSnapshot`, ["ecosystem", "file", "sha256", "date", "records"]);
  if (s.ecosystem !== "PyPI") throw malformed(`${w}.osvSnapshot.ecosystem`, "must be PyPI", v.subject);
  if (typeof o.maxCvss !== "number" || !(o.maxCvss >= 0 && o.maxCvss <= 10)) throw malformed(`${w}.maxCvss`, "must be a number from 0 to 10", v.subject);
  if (typeof o.allowUnscored !== "boolean") throw malformed(`${w}.allowUnscored`, "must be true or false", v.subject);
  if (!Array.isArray(o.waivers)) throw malformed(`${w}.waivers`, "must be an array", v.subject);
  return {
    osvSnapshot: {
      ecosystem: "PyPI",
      file: v.str(s.file, `${w}.osvSnapshot.file`),
      sha256: v.str(s.sha256, `${w}.osvSnapshot.sha256`, HEX64),
      date: v.strOrNull(s.date, `${w}.osvSnapshot.date`),
      records: v.int(s.records, `${w}.osvSnapshot.records`),
    },
    maxCvss: o.maxCvss,
    refuseAt: v.str(o.refuseAt, `${w}.refuseAt`, /^(ge|gt)$/) as VulnPolicy["refuseAt"],
    allowUnscored: o.allowUnscored,
    waivers: o.waivers.map((x, i) => {
      const e = v.obj(x, `${w}.waivers[${i}]`, ["id", "package", "version", "reason", "expires"]);
      return {
        id: v.str(e.id, `${w}.waivers[${i}].id`),
        package: v.str(e.package, `${w}.waivers[${i}].package`),
        version: v.str(e.version, `${w}.waivers[${i}].version`),
        reason: v.str(e.reason, `${w}.waivers[${i}].reason`),
        expires: v.str(e.expires, `${w}.waivers[${i}].expires`, RFC3339),
      };
    }),
  };
}

/** `wheels/<filename>`: the subject name of a wheel. */
export function wheelSubjectName(filename: string): string {
  return `${WHEELS_DIR}/${filename}`;
}

/** Bundle ids and channels become file names and state keys: keep them simple. */
export function isValidBundleId(id: string): boolean {
  return ID_RE.test(id);
}
