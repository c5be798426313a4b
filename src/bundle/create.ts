/**
 * `bundle create`: copy a wheel directory into a new bundle, verify every copied wheel, run all
 * content checks (tags, closure, policy), then write the lock, the statement and (optionally)
 * DSSE signatures. Fail closed: the bundle is assembled in a temporary sibling directory and
 * renamed into place only when everything passed; on a refusal nothing is left behind.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { refusal, ZwhError } from "../core/errors";
import { parseWheelFilename } from "../core/wheel-filename";
import { generateLockfile } from "../core/lockfile";
import { checkOneVersionPerProject, DenyList, parseDenyList } from "../core/policy";
import { parseRequirement } from "../core/pep508";
import { signStatement, addStatementSignature, keyIdOf, statementDigest, CHANNEL_NAME_RE } from "./signing";
import type { DsseEnvelope } from "./signing";
import { BUNDLE } from "./codes";
import { bundleIoError } from "./files";
import { checkClosure, checkDenyLists, checkPlatform, checkStartupHooks, firstWithAll, parseStartupHookAllows, sha256File, wheelEntryFromFacts } from "./checks";
import {
  BundlePredicate, BundleStatement, BundleTarget, BundleWheel, DEFAULT_PIP_FLAGS, DSSE_FILE, LOCK_FILE, PREDICATE_TYPE,
  SBOM_FILE, STATEMENT_FILE, STATEMENT_TYPE, Subject, WHEELS_DIR, isValidBundleId, serializeStatement, sortWheels, wheelSubjectName,
} from "./statement";
import { verifyWheelSet, PoolOptions } from "./wheel-pool";
import { applicablePins, matchWheelsToPins, parseHashedRequirements } from "../core/requirements-file";
import { loadVulnGate, runVulnGate, VulnGateOptions, vulnPolicyRecord } from "./vuln-gate";
import { checkTestCode } from "./test-code";
import { cycloneDxJson, sbomInputFromPredicate } from "./sbom";
import type { GateMatch } from "../core/osv-match";
import type { TestCodePolicy } from "./statement";

export interface CreateBundleOptions {
  wheelDir: string;
  outDir: string;
  bundleId: string;
  channel: string;
  sequence: number;
  /** "90d", "12h", "2w" or an RFC 3339 date (default 90d). */
  expires?: string;
  now?: Date;
  target: BundleTarget;
  /** Top-level requirements (PEP 508); none = every wheel is a root. */
  requirements?: string[];
  /** Deny-list file contents. */
  denyList?: { text: string | Buffer; source: string };
  /** DSSE signers, in order. */
  signKeys?: crypto.KeyObject[];
  pipFlags?: string[];
  pool?: PoolOptions;
  /**
   * The publisher's hashed requirements file (Toolkit format): every wheel must be pinned with
   * its sha256, every applicable pin must have a wheel; its pins become the requirements. The
   * file's name and sha256 go into predicate.source.requirements.
   */
  fromRequirements?: { bytes: Buffer; source: string };
  /** Offline vulnerability gate (OSV snapshot, settings, signed waivers). */
  vulnGate?: Omit<VulnGateOptions, "packages" | "now">;
  /** Test-code rule recorded in the signed policy and enforced here and at verify. */
  testCode?: TestCodePolicy;
  /** Start-up hooks the signed policy allows, `<project>:<file>.pth` (see parseStartupHookAllows). */
  allowStartupHooks?: string[];
}

export interface CreatedBundle {
  dir: string;
  statement: BundleStatement;
  statementBytes: Buffer;
  statementDigest: string;
  /** Key ids that signed (DSSE). */
  signedBy: string[];
  warnings: string[];
  /** Vulnerability matches (all decisions) when a gate ran. */
  vulnerabilities?: GateMatch[];
  /** Wheels with test code (test-code policy "list" or excepted). */
  testCode?: Array<{ filename: string; paths: number; excepted: boolean }>;
}

export function resolveExpiry(expires: string | undefined, now: Date): string {
  const v = (expires ?? "90d").trim();
  const rel = /^(\d+)([hdw])$/.exec(v);
  if (rel) {
    const n = Number(rel[1]);
    const ms = n * (rel[2] === "h" ? 3600e3 : rel[2] === "d" ? 86400e3 : 7 * 86400e3);
    if (n <= 0) throw new ZwhError(BUNDLE.USAGE, `--expires ${v} must be in the future`);
    return new Date(now.getTime() + ms).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(v)) {
    const t = new Date(v.length === 10 ? `${v}T00:00:00Z` : v);
    if (!Number.isNaN(t.getTime())) {
      if (t.getTime() <= now.getTime()) throw new ZwhError(BUNDLE.USAGE, `--expires ${v} is not in the future`);
      return t.toISOString();
    }
  }
  throw new ZwhError(BUNDLE.USAGE, `--expires "${v}" is neither a duration (90d, 12h, 2w) nor an ISO date`, {
    hint: "Examples: --expires 30d, --expires 2027-01-31T00:00:00Z.",
  });
}

/** Parse a top-level requirements file: one PEP 508 requirement per line, no pip options. */
export function parseRequirementsText(text: string, source: string): string[] {
  const out: string[] = [];
  text.split(/\r\n|\n|\r/).forEach((raw, i) => {
    const hashAt = raw.search(/(^|\s)#/);
    const line = (hashAt >= 0 ? raw.slice(0, hashAt) : raw).trim();
    if (!line) return;
    if (line.startsWith("-")) {
      throw new ZwhError(BUNDLE.USAGE, `${source} line ${i + 1}: pip options ("${line}") are not allowed in the top-level requirements`, {
        subject: source,
        hint: "List requirements only (name, extras, version specifier, marker); the lock file is generated by Wheelhouse.",
      });
    }
    try {
      parseRequirement(line);
    } catch (e) {
      throw new ZwhError(BUNDLE.USAGE, `${source} line ${i + 1}: ${(e as Error).message}`, { subject: source, cause: e });
    }
    out.push(line);
  });
  return out;
}

/** Subjects for a bundle directory: the lock, the SBOM (when present) and each wheel, with their sha256. */
export async function computeSubjects(dir: string, wheels: Array<Pick<BundleWheel, "filename" | "sha256">>): Promise<Subject[]> {
  const lock = await sha256File(path.join(dir, LOCK_FILE));
  const sbom = fs.existsSync(path.join(dir, SBOM_FILE)) ? await sha256File(path.join(dir, SBOM_FILE)) : undefined;
  return [
    { name: LOCK_FILE, digest: { sha256: lock.sha256 } },
    ...(sbom ? [{ name: SBOM_FILE, digest: { sha256: sbom.sha256 } }] : []),
    ...wheels.map((w) => ({ name: wheelSubjectName(w.filename), digest: { sha256: w.sha256 } })),
  ];
}

/** DSSE envelope over the statement bytes, one signature per key (in order). */
export function signAll(statementBytes: Buffer, keys: crypto.KeyObject[]): DsseEnvelope | undefined {
  if (!keys.length) return undefined;
  let env = signStatement(statementBytes, keys[0]);
  for (const k of keys.slice(1)) env = addStatementSignature(env, k);
  return env;
}

export function envelopeBytes(env: DsseEnvelope): Buffer {
  return Buffer.from(JSON.stringify(env, null, 2) + "\n", "utf8");
}

export async function createBundle(o: CreateBundleOptions): Promise<CreatedBundle> {
  const now = o.now ?? new Date();
  if (!isValidBundleId(o.bundleId)) {
    throw new ZwhError(BUNDLE.USAGE, `--id "${o.bundleId}" is not a valid bundle id`, { hint: "Use 1-128 letters, digits, '.', '_' and '-', starting with a letter or digit." });
  }
  if (!CHANNEL_NAME_RE.test(o.channel)) {
    throw new ZwhError(BUNDLE.USAGE, `--channel "${o.channel}" is not a valid channel name`, { hint: "Use 1-64 letters, digits, '.', '_' and '-'." });
  }
  if (!Number.isSafeInteger(o.sequence) || o.sequence < 0) throw new ZwhError(BUNDLE.USAGE, `--sequence must be a non-negative integer`);
  const expires = resolveExpiry(o.expires, now);
  let requirements = o.requirements ?? [];
  const pinned = o.fromRequirements ? parseHashedRequirements(o.fromRequirements.bytes.toString("utf8"), o.fromRequirements.source) : undefined;
  if (pinned) {
    if (requirements.length) throw new ZwhError(BUNDLE.USAGE, "use either --requirements or --from-requirements, not both", { hint: "With --from-requirements every pinned package is a top-level requirement." });
    requirements = applicablePins(pinned, o.target.markerEnv).map((p) => `${p.name}==${p.version}`);
  }
  let deny: DenyList | undefined;
  let denySha: string | null = null;
  if (o.denyList) {
    const bytes = Buffer.isBuffer(o.denyList.text) ? o.denyList.text : Buffer.from(o.denyList.text, "utf8");
    deny = parseDenyList(bytes.toString("utf8"), o.denyList.source);
    denySha = crypto.createHash("sha256").update(bytes).digest("hex");
  }

  const out = path.resolve(o.outDir);
  if (fs.existsSync(out)) {
    throw new ZwhError(BUNDLE.EXISTS, `${out} already exists`, { subject: out, hint: "Choose a new --out directory; bundles are never overwritten." });
  }
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(o.wheelDir, { withFileTypes: true });
  } catch (e) {
    throw bundleIoError(`cannot read wheel directory ${o.wheelDir}`, o.wheelDir, e);
  }
  const findings: ZwhError[] = [];
  const wheelFiles: string[] = [];
  for (const d of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!d.isFile()) {
      findings.push(refusal(d.isDirectory() ? "ZWH-WHEEL-NOT-WHEEL" : BUNDLE.SPECIAL_FILE, `${d.name} in ${o.wheelDir} is ${d.isDirectory() ? "a directory" : d.isSymbolicLink() ? "a symbolic link" : "not a regular file"}; only .whl files can be bundled`, {
        subject: d.name,
        hint: "Put only the wheel files of the bundle in the wheel directory (no sub-directories, links or other files).",
      }));
      continue;
    }
    try {
      parseWheelFilename(d.name);
      wheelFiles.push(d.name);
    } catch (e) {
      findings.push(e as ZwhError);
    }
  }
  if (findings.length) throw firstWithAll(findings);
  if (wheelFiles.length === 0) throw new ZwhError(BUNDLE.USAGE, `${o.wheelDir} holds no wheels`, { subject: o.wheelDir });

  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
  try {
    fs.mkdirSync(path.join(tmp, WHEELS_DIR), { recursive: true, mode: 0o755 });
    const copies = wheelFiles.map((f) => path.join(tmp, WHEELS_DIR, f));
    for (let i = 0; i < wheelFiles.length; i++) {
      fs.copyFileSync(path.join(o.wheelDir, wheelFiles[i]), copies[i], fs.constants.COPYFILE_EXCL);
    }
    // Verify the copies: the bytes that are checked are the bytes that are shipped. The OSV
    // snapshot is read meanwhile (only the records of these projects are kept).
    const gateP = o.vulnGate
      ? loadVulnGate({ ...o.vulnGate, now, packages: wheelFiles.map((f) => parseWheelFilename(f).name) })
      : undefined;
    gateP?.catch(() => undefined); // awaited below; do not let an early rejection go unhandled
    const results = await verifyWheelSet(copies, o.pool);
    const gate = gateP ? await gateP : undefined;
    const wheels: BundleWheel[] = [];
    const providesExtra = new Map<string, string[]>();
    const startupHooks = parseStartupHookAllows(o.allowStartupHooks ?? []);
    for (const r of results) {
      findings.push(...r.findings);
      if (r.facts && r.ok) {
        wheels.push(wheelEntryFromFacts(r.facts));
        providesExtra.set(r.facts.filename, r.facts.providesExtra);
        findings.push(...checkStartupHooks([r.facts], startupHooks));
      }
    }
    findings.push(...checkPlatform(wheels, o.target));
    const duplicates = checkOneVersionPerProject(wheels);
    findings.push(...duplicates);
    const closure = checkClosure(wheels, requirements, o.target, providesExtra);
    // A wheel set that does not match the pins is reported by the pins (one code per package);
    // the closure would only repeat it from the requirements' side.
    const pinFindings = pinned
      ? matchWheelsToPins(results.filter((r) => r.facts).map((r) => ({ filename: r.facts!.filename, name: r.facts!.normalizedName, version: r.facts!.version, sha256: r.facts!.sha256 })), pinned, o.target.markerEnv)
      : [];
    findings.push(...pinFindings);
    if (!duplicates.length && !pinFindings.length) findings.push(...closure.findings);
    findings.push(...checkDenyLists(wheels, deny ? [deny] : []));
    const outcome = gate ? runVulnGate(wheels.map((w) => ({ name: w.name, version: w.version, where: w.filename })), gate) : undefined;
    if (outcome) findings.push(...outcome.refusals);
    const testHits = o.testCode ? await checkTestCode(wheels.map((w) => ({ filename: w.filename, name: w.name, path: path.join(tmp, WHEELS_DIR, w.filename) })), o.testCode) : undefined;
    if (testHits) findings.push(...testHits.findings);
    if (findings.length) throw firstWithAll(findings);

    const sorted = sortWheels(wheels);
    fs.writeFileSync(path.join(tmp, LOCK_FILE), generateLockfile(sorted), { flag: "wx" });
    const predicate: BundlePredicate = {
      bundleId: o.bundleId,
      channel: o.channel,
      sequence: o.sequence,
      createdAt: now.toISOString(),
      expires,
      target: o.target,
      requirements,
      wheels: sorted,
      policy: {
        onlyBinary: true,
        denyList: { sha256: denySha, rules: deny ? deny.rules.map((r) => r.text) : [] },
        onePerProject: true,
        startupHooks,
        ...(gate && outcome ? { vulnerability: vulnPolicyRecord(gate, outcome.matches) } : {}),
        ...(o.testCode ? { testCode: { mode: o.testCode.mode, exceptions: [...o.testCode.exceptions].sort() } } : {}),
      },
      pip: { flags: [...(o.pipFlags ?? DEFAULT_PIP_FLAGS)] },
      ...(pinned && o.fromRequirements
        ? {
          source: {
            requirements: {
              name: path.basename(o.fromRequirements.source),
              sha256: crypto.createHash("sha256").update(o.fromRequirements.bytes).digest("hex"),
              indexUrl: pinned.indexUrl,
              trustedHosts: pinned.trustedHosts,
              pins: pinned.pins.length,
            },
          },
        }
        : {}),
    };
    // The SBOM is a subject: written before the statement that hashes it.
    const signers = (o.signKeys ?? []).map((k) => ({ keyid: keyIdOf(k) }));
    fs.writeFileSync(path.join(tmp, SBOM_FILE), cycloneDxJson(sbomInputFromPredicate(predicate, { signers })), { flag: "wx" });
    const statement: BundleStatement = { _type: STATEMENT_TYPE, subject: await computeSubjects(tmp, sorted), predicateType: PREDICATE_TYPE, predicate };
    const statementBytes = serializeStatement(statement);
    fs.writeFileSync(path.join(tmp, STATEMENT_FILE), statementBytes, { flag: "wx" });
    const env = signAll(statementBytes, o.signKeys ?? []);
    if (env) fs.writeFileSync(path.join(tmp, DSSE_FILE), envelopeBytes(env), { flag: "wx" });
    if (fs.existsSync(out)) throw new ZwhError(BUNDLE.EXISTS, `${out} already exists`, { subject: out });
    fs.renameSync(tmp, out);
    return {
      dir: out,
      statement,
      statementBytes,
      statementDigest: statementDigest(statementBytes),
      signedBy: (o.signKeys ?? []).map(keyIdOf),
      warnings: [
        ...closure.warnings,
        ...(testHits?.hits ?? []).filter((h) => o.testCode?.mode === "list" || h.excepted).map((h) => `${h.filename} ships test code (${h.paths.length} file(s))${h.excepted ? " (excepted)" : ""}`),
      ],
      ...(outcome ? { vulnerabilities: outcome.matches } : {}),
      ...(testHits ? { testCode: testHits.hits.map((h) => ({ filename: h.filename, paths: h.paths.length, excepted: h.excepted })) } : {}),
    };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
