/**
 * `bundle verify` and the verified-bundle object the deploy step consumes.
 *
 * Order (supply-chain.md §8, fail closed; see docs/bundle-format.md):
 *   0 manifest    manifest.intoto.json exists and is JSON                 ZWH-BUNDLE-MALFORMED
 *   1 signatures  exact statement bytes, trusted keys, threshold, channel (ZWH-SIG-*); then the
 *                 statement is validated strictly                          ZWH-BUNDLE-MALFORMED
 *   2 freshness   expires > now (ZWH-SIG-EXPIRED); sequence vs the store (ZWH-SEQ-ROLLBACK/REPLAY).
 *                 Only CHECKED here: in deploy the target records what it accepts (deploy/sequence-guard.ts).
 *   3 subjects    every subject present, sha256 and size match; no unlisted or special files
 *   4 wheels      filename, streaming RECORD verification, manifest facts = real wheel facts
 *   5 platform    wheel tags ∩ target tags (target: --target-env if given, consistent with the manifest)
 *   6 closure     closed set under the target marker environment
 *   7 policy      deny list (manifest's, plus an optional local one), one version per project
 *   8 lock        requirements.lock.txt byte-identical to the regenerated lock
 *   9 vulnerabilities  with a vulnGate: the offline OSV gate over the signed wheel list
 *                 (src/bundle/vuln-gate.ts; also in a statement-only verification). The
 *                 snapshot is read while the wheels are verified.
 * The signed policy's test-code rule (if any) is checked in step 7; sbom.cdx.json, when it is a
 * subject, is hashed in step 3 like the lock.
 * Steps 0 and 1 stop verification (nothing in an unauthenticated or unreadable manifest can be
 * trusted to drive further checks). From step 2 on, every finding is collected, so --json lists
 * all of them; loadAndVerifyBundle() throws the first (in step order) with all in details.findings.
 * The bundle's files are read once: the wheel hashes for step 3 come from the step-4 pass.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { refusal, ZwhError } from "../core/errors";
import { parseWheelFilename } from "../core/wheel-filename";
import { DenyList } from "../core/policy";
import { ClosureResult } from "../core/closure";
import { generateLockfile } from "../core/lockfile";
import type { WheelFacts } from "./wheel-verify";
import type { MemberListDigest } from "../core/member-list";
import {
  checkExpiry, checkSequence, statementDigest, verifyStatementSignatures, SequenceStore, Trust, VerifiedSigner, StatementVerification,
} from "./signing";
import { BUNDLE, WHEEL_RECORD_DIGEST } from "./codes";
import { checkClosure, checkDenyLists, checkLock, checkPlatform, checkStartupHooks, denyListFromRules, firstWithAll, sha256File } from "./checks";
import { checkOneVersionPerProject } from "../core/policy";
import {
  BundlePredicate, BundleStatement, BundleTarget, DSSE_FILE, LOCK_FILE, SBOM_FILE, SSHSIG_FILE, STATEMENT_FILE, UNSIGNED_FILES, WHEELS_DIR,
  parseJsonFile, validateStatement, wheelSubjectName,
} from "./statement";
import { compareTargets } from "./target";
import { PoolOptions, verifyWheelSet } from "./wheel-pool";
import { bundleIoError, readOptional, TreeEntry, walkTree } from "./files";
import { readInputFile } from "../io/input-file";
import { loadVulnGate, runVulnGate, VulnGate, VulnGateOptions } from "./vuln-gate";
import { checkTestCode } from "./test-code";
import type { GateMatch, GateSettings } from "../core/osv-match";

export const VERIFY_STEPS = ["manifest", "signatures", "freshness", "subjects", "wheels", "platform", "closure", "policy", "lock", "vulnerabilities"] as const;
export type VerifyStep = (typeof VERIFY_STEPS)[number];

export interface BundleFinding {
  step: VerifyStep;
  error: ZwhError;
}

export interface VerifyBundleOptions {
  trust: Trust;
  /** The real target (probe); must be consistent with the manifest's target. */
  targetEnv?: BundleTarget;
  /** Rollback state; without it the sequence is not checked (reported as "unchecked"). */
  sequenceStore?: SequenceStore;
  now?: Date;
  /** A local deny list applied in addition to the manifest's. */
  extraDenyList?: DenyList;
  pool?: PoolOptions;
  /**
   * Check the statement only (steps 0-2: manifest, signatures, freshness and sequence), not the
   * files. Deploy uses it when the target's current release was built from this exact statement
   * digest: nothing is transferred or installed, so re-hashing the local wheels proves nothing,
   * while an expired, replayed or no-longer-trusted bundle is still refused.
   */
  statementOnly?: boolean;
  /**
   * What an earlier full verification of this same directory and statement established about its
   * files (filesVerifiedOf). Steps 3-4 and the test-code scan are not repeated (a fleet verifies
   * the wheels once per run, then each host's statement, platform, closure, policy, lock and
   * sequence against that host); ignored when the directory or statement digest differ.
   */
  filesVerified?: FilesVerified;
  /**
   * Run the offline vulnerability gate (step 9) with this OSV snapshot and waivers. Settings not
   * given here come from the bundle's signed policy.vulnerability, else the defaults.
   */
  vulnGate?: Omit<VulnGateOptions, "packages" | "now">;
}

export interface VerifiedWheel {
  filename: string;
  /** Normalized project name. */
  name: string;
  version: string;
  sha256: string;
  size: number;
  /** Absolute path of the wheel inside the bundle. */
  path: string;
  /**
   * Where each member's bytes are and how they decode, as this verification read them
   * (member-list.ts); absent after a statement-only verification. The target compares it with
   * its own zipfile's view (zwh_deploy.py wheel-members).
   */
  memberLayout?: MemberListDigest;
}

/** What deploy consumes: everything here has been checked against the signed statement. */
export interface VerifiedBundle {
  dir: string;
  /** Exact bytes of manifest.intoto.json (the signed payload). */
  statementBytes: Buffer;
  /** "sha256:<hex>" of statementBytes: the digest rollback state records. */
  statementDigest: string;
  statement: BundleStatement;
  predicate: BundlePredicate;
  wheels: VerifiedWheel[];
  /** Exact bytes of requirements.lock.txt (verified identical to the regenerated lock). */
  lockBytes: Buffer;
  signers: VerifiedSigner[];
  /** Non-fatal findings (warnings), e.g. wheels no requirement needs. */
  findings: Array<{ code: string; message: string; subject?: string }>;
  /** "new" / "same" (identical re-deploy) when a sequence store was given, else "unchecked". */
  sequenceStatus: "new" | "same" | "unchecked";
  /** The target the checks ran against. */
  target: BundleTarget;
  /** Absent after a statement-only verification. */
  closure?: ClosureResult;
  /** "full", or "statement" when only the signed statement was checked (see statementOnly). */
  scope: "full" | "statement";
  /** Vulnerability matches (every decision) when a gate ran. */
  vulnerabilities?: GateMatch[];
}

/** The file-level result of one full verification (see VerifyBundleOptions.filesVerified). */
export interface FilesVerified {
  readonly dir: string;
  readonly statementDigest: string;
  readonly lockBytes: Buffer;
  /** Per wheel filename, the extras its METADATA provides (the closure needs them). */
  readonly providesExtra: ReadonlyMap<string, string[]>;
  /** Per wheel filename, its member layout digest (VerifiedWheel.memberLayout). */
  readonly memberLayout: ReadonlyMap<string, MemberListDigest>;
  /** Warnings of the file steps (test code listed or excepted). */
  readonly warnings: readonly string[];
}

/** The reusable file-level result of a successful full verification, or undefined. */
export function filesVerifiedOf(r: BundleVerification): FilesVerified | undefined {
  const v = r.verified;
  if (!r.ok || !v || v.scope !== "full") return undefined;
  return {
    dir: v.dir, statementDigest: v.statementDigest, lockBytes: v.lockBytes,
    providesExtra: new Map(r.wheelFacts.map((f) => [f.filename, f.providesExtra])),
    memberLayout: new Map(r.wheelFacts.map((f) => [f.filename, f.memberLayout])),
    warnings: r.testCodeWarnings ?? [],
  };
}

export interface BundleVerification {
  ok: boolean;
  dir: string;
  findings: BundleFinding[];
  warnings: string[];
  statementDigest?: string;
  statement?: BundleStatement;
  signatures?: StatementVerification;
  wheelFacts: WheelFacts[];
  closure?: ClosureResult;
  target?: BundleTarget;
  /** Present when ok. */
  verified?: VerifiedBundle;
  /** Vulnerability matches (every decision) when a gate ran. */
  vulnerabilities?: GateMatch[];
  /** The gate that ran (snapshot identity, settings, waiver sources). */
  vulnGate?: VulnGate;
  /** Warnings of the test-code scan (also in warnings). */
  testCodeWarnings?: string[];
}

/** Split a .sig file into its armoured SSHSIG blocks (one or more). */
export function splitSshsigs(text: string): string[] {
  const blocks = text.match(/-----BEGIN SSH SIGNATURE-----[\s\S]*?-----END SSH SIGNATURE-----/g);
  return blocks && blocks.length ? blocks.map((b) => b + "\n") : [text];
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Run every check and return all findings (never throws a refusal; throws only on I/O errors). */
export async function verifyBundle(dirArg: string, opts: VerifyBundleOptions): Promise<BundleVerification> {
  const dir = path.resolve(dirArg);
  const now = opts.now ?? new Date();
  const findings: BundleFinding[] = [];
  const warnings: string[] = [];
  const res: BundleVerification = { ok: false, dir, findings, warnings, wheelFacts: [] };
  const add = (step: VerifyStep, ...es: ZwhError[]) => {
    for (const error of es) findings.push({ step, error });
  };
  const done = () => {
    findings.sort((a, b) => VERIFY_STEPS.indexOf(a.step) - VERIFY_STEPS.indexOf(b.step));
    res.ok = findings.length === 0;
    return res;
  };

  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    throw bundleIoError(`cannot read bundle ${dir}`, dir, e);
  }
  if (!st.isDirectory()) throw new ZwhError(BUNDLE.IO, `${dir} is not a directory`, { subject: dir, hint: "Unpack a bundle archive first: zwh bundle unpack FILE.tar --out DIR." });

  // --- 0. manifest ---
  const statementBytes = readOptional(path.join(dir, STATEMENT_FILE));
  if (!statementBytes) {
    add("manifest", refusal(BUNDLE.MALFORMED, `${STATEMENT_FILE} is missing from ${dir}`, { subject: STATEMENT_FILE, hint: "This is not a Wheelhouse bundle directory." }));
    return done();
  }
  const digest = statementDigest(statementBytes);
  res.statementDigest = digest;
  let raw: unknown;
  try {
    raw = parseJsonFile(statementBytes, STATEMENT_FILE);
  } catch (e) {
    add("manifest", e as ZwhError);
    return done();
  }
  const rawChannel = (raw as { predicate?: { channel?: unknown } } | null)?.predicate?.channel;
  if (typeof rawChannel !== "string") {
    add("manifest", refusal(BUNDLE.MALFORMED, `${STATEMENT_FILE}: predicate.channel is missing`, { subject: STATEMENT_FILE }));
    return done();
  }

  // --- 1. signatures ---
  const dsseBytes = readOptional(path.join(dir, DSSE_FILE));
  const sigBytes = readOptional(path.join(dir, SSHSIG_FILE));
  try {
    res.signatures = verifyStatementSignatures({
      statementBytes,
      dsseEnvelope: dsseBytes,
      sshsig: sigBytes ? splitSshsigs(sigBytes.toString("utf8")) : undefined,
      trust: opts.trust,
      channel: rawChannel,
    });
  } catch (e) {
    add("signatures", e as ZwhError);
    return done();
  }
  let statement: BundleStatement;
  try {
    statement = validateStatement(raw);
  } catch (e) {
    add("manifest", e as ZwhError);
    return done();
  }
  res.statement = statement;
  const p = statement.predicate;

  // The OSV snapshot is read while the files are checked (only records of the bundle's projects are kept).
  const gateP = opts.vulnGate ? loadGateFor(opts.vulnGate, p, now) : undefined;
  gateP?.catch(() => undefined); // awaited in step 9
  const runGate = async (): Promise<void> => {
    if (!gateP) return;
    const gate = await gateP;
    res.vulnGate = gate;
    const outcome = runVulnGate(p.wheels.map((w) => ({ name: w.name, version: w.version, where: w.filename })), gate);
    res.vulnerabilities = outcome.matches;
    add("vulnerabilities", ...outcome.refusals);
  };

  // --- 2. freshness ---
  let sequenceStatus: VerifiedBundle["sequenceStatus"] = "unchecked";
  try {
    checkExpiry(p.expires, now, STATEMENT_FILE);
  } catch (e) {
    add("freshness", e as ZwhError);
  }
  if (opts.sequenceStore) {
    try {
      sequenceStatus = checkSequence(opts.sequenceStore, p.channel, p.sequence, res.statementDigest);
    } catch (e) {
      add("freshness", e as ZwhError);
    }
  }

  // Everything below comes from the signed statement; the callers add what their scope checked.
  const memberLayout = new Map<string, MemberListDigest>(); // filled by the wheel pass (or reuse)
  const verifiedFrom = (
    sigs: NonNullable<typeof res.signatures>,
    extra: Pick<VerifiedBundle, "lockBytes" | "findings" | "target" | "closure" | "scope">,
  ): VerifiedBundle => ({
    dir,
    statementBytes,
    statementDigest: digest,
    statement,
    predicate: p,
    wheels: p.wheels.map((w) => {
      const layout = memberLayout.get(w.filename);
      return { filename: w.filename, name: w.name, version: w.version, sha256: w.sha256, size: w.size, path: path.join(dir, WHEELS_DIR, w.filename), ...(layout ? { memberLayout: layout } : {}) };
    }),
    signers: sigs.signers,
    sequenceStatus,
    ...extra,
  });

  if (opts.statementOnly) {
    await runGate();
    done();
    if (res.ok && res.signatures) {
      // The lock is a pure function of the signed wheel list.
      const lockBytes = Buffer.from(generateLockfile(p.wheels), "utf8");
      res.verified = verifiedFrom(res.signatures, { lockBytes, findings: [], target: opts.targetEnv ?? p.target, scope: "statement", ...(res.vulnerabilities ? { vulnerabilities: res.vulnerabilities } : {}) });
    }
    return res;
  }

  const reuse = opts.filesVerified && opts.filesVerified.dir === dir && opts.filesVerified.statementDigest === digest ? opts.filesVerified : undefined;
  const files = new Map<string, TreeEntry>();
  const present = (name: string) => files.get(name)?.kind === "file";
  const providesExtra = new Map<string, string[]>(reuse?.providesExtra ?? []);
  for (const [k, v] of reuse?.memberLayout ?? []) memberLayout.set(k, v);
  if (reuse) warnings.push(...reuse.warnings);
  else await verifyFiles();

  async function verifyFiles(): Promise<void> {
    // --- 3. subjects (layout, presence, sizes; digests after the wheel pass) ---
    const subjects = new Map(statement.subject.map((s) => [s.name, s.digest.sha256]));
    const wheelByFile = new Map(p.wheels.map((w) => [w.filename, w]));
    const expectedNames = new Set([LOCK_FILE, ...(subjects.has(SBOM_FILE) ? [SBOM_FILE] : []), ...p.wheels.map((w) => wheelSubjectName(w.filename))]);
    for (const name of subjects.keys()) {
      if (!expectedNames.has(name)) {
        add("subjects", refusal(BUNDLE.MALFORMED, `subject ${name} is neither ${LOCK_FILE} nor a wheel listed in predicate.wheels`, {
          subject: name, hint: "The statement is inconsistent; rebuild the bundle with 'zwh bundle create'.",
        }));
      }
    }
    for (const name of expectedNames) {
      if (!subjects.has(name)) {
        add("subjects", refusal(BUNDLE.MALFORMED, `${name} is not a subject of the statement, so its digest is not signed`, {
          subject: name, hint: "The statement is inconsistent; rebuild the bundle with 'zwh bundle create'.",
        }));
      }
    }
    if (wheelByFile.size !== p.wheels.length) add("subjects", refusal(BUNDLE.MALFORMED, "predicate.wheels lists a filename twice", { subject: STATEMENT_FILE }));
    for (const f of walkTree(dir)) {
      files.set(f.rel, f);
      if (f.kind === "special") {
        add("subjects", refusal(BUNDLE.SPECIAL_FILE, `${f.rel} in the bundle is a symbolic link or special file`, {
          subject: f.rel, hint: "Bundles hold regular files only; obtain the bundle again (zwh bundle unpack never creates links).",
        }));
      } else if (f.kind === "dir") {
        if (f.rel !== WHEELS_DIR) add("subjects", refusal(BUNDLE.UNLISTED_FILE, `directory ${f.rel}/ is not part of the bundle layout`, { subject: f.rel, hint: "Remove it; a bundle holds only the manifest files, the lock and wheels/." }));
      } else if (!subjects.has(f.rel) && !UNSIGNED_FILES.includes(f.rel)) {
        add("subjects", refusal(BUNDLE.UNLISTED_FILE, `${f.rel} is in the bundle but not listed in the signed statement`, {
          subject: f.rel, hint: "Files that are not covered by the signature are refused; remove it, or rebuild and re-sign the bundle with it.",
        }));
      }
    }
    for (const name of subjects.keys()) {
      if (!present(name)) add("subjects", refusal(BUNDLE.SUBJECT_MISSING, `${name} is listed in the statement but missing from the bundle`, { subject: name, hint: "The bundle is incomplete; obtain it again." }));
    }
    const mismatch = (name: string, what: string, expected: string | number, actual: string | number) =>
      refusal(BUNDLE.SUBJECT_MISMATCH, `${name}: ${what} ${actual} differs from the signed ${expected}`, {
        subject: name,
        details: { what, expected, actual },
        hint: "The file was changed after the bundle was signed. Do not deploy it; obtain the bundle again from its publisher.",
      });
    for (const small of [LOCK_FILE, SBOM_FILE]) {
      if (present(small) && subjects.has(small)) {
        const h = await sha256File(path.join(dir, small));
        if (h.sha256 !== subjects.get(small)) add("subjects", mismatch(small, "sha256", subjects.get(small)!, h.sha256));
      }
    }

    // --- 4. wheels (one streaming pass per wheel: whole-file sha256 + RECORD) ---
    const toVerify: Array<{ w: (typeof p.wheels)[number]; file: string }> = [];
    for (const w of p.wheels) {
      const name = wheelSubjectName(w.filename);
      let parsed = true;
      try {
        parseWheelFilename(w.filename);
      } catch (e) {
        add("wheels", e as ZwhError);
        parsed = false;
      }
      if (!present(name)) continue;
      if (!parsed) {
        // Not verified as a wheel, but its digest is still checked against the statement.
        const h = await sha256File(path.join(dir, WHEELS_DIR, w.filename));
        if (h.sha256 !== subjects.get(name)) add("subjects", mismatch(name, "sha256", subjects.get(name) ?? w.sha256, h.sha256));
        continue;
      }
      const size = files.get(name)!.size;
      if (size !== w.size) add("subjects", mismatch(name, "size", w.size, size));
      toVerify.push({ w, file: path.join(dir, WHEELS_DIR, w.filename) });
    }
    const results = await verifyWheelSet(toVerify.map((x) => x.file), opts.pool);
    for (let i = 0; i < results.length; i++) {
      const { w, file } = toVerify[i];
      const r = results[i];
      const name = wheelSubjectName(w.filename);
      const sha = r.facts ? r.facts.sha256 : (await sha256File(file)).sha256;
      if (sha !== subjects.get(name) || sha !== w.sha256) add("subjects", mismatch(name, "sha256", subjects.get(name) ?? w.sha256, sha));
      add("wheels", ...r.findings);
      const f = r.facts;
      if (!f) continue;
      res.wheelFacts.push(f);
      providesExtra.set(w.filename, f.providesExtra);
      memberLayout.set(w.filename, f.memberLayout);
      if (f.recordSha256 !== w.recordSha256) {
        add("wheels", refusal(WHEEL_RECORD_DIGEST, `${w.filename}: RECORD digest ${f.recordSha256} differs from the manifest's recordSha256 ${w.recordSha256}`, {
          subject: w.filename,
          details: { expected: w.recordSha256, actual: f.recordSha256 },
          hint: "The wheel's contents are not the ones that were signed. Obtain the bundle again.",
        }));
      }
      const factDiff = (field: string, expected: unknown, actual: unknown) =>
        add("wheels", refusal(BUNDLE.WHEEL_FACTS, `${w.filename}: manifest ${field} ${JSON.stringify(expected)} differs from the wheel's ${JSON.stringify(actual)}`, {
          subject: w.filename,
          details: { field, manifest: expected, wheel: actual },
          hint: "The signed manifest does not describe this wheel; rebuild the bundle with 'zwh bundle create'.",
        }));
      if (f.normalizedName !== w.name) factDiff("name", w.name, f.normalizedName);
      if (f.version !== w.version) factDiff("version", w.version, f.version);
      if (!sameList(f.tags, w.tags)) factDiff("tags", w.tags, f.tags);
      if ((f.requiresPython ?? null) !== w.requiresPython) factDiff("requiresPython", w.requiresPython, f.requiresPython ?? null);
      if (!sameList(f.requiresDist, w.requiresDist)) factDiff("requiresDist", w.requiresDist, f.requiresDist);
      if (f.members.count !== w.members.count || f.members.sha256 !== w.members.sha256) factDiff("members", w.members, f.members);
      add("wheels", ...checkStartupHooks([f], p.policy.startupHooks));
    }
  }

  // --- 5. platform ---
  let target = p.target;
  if (opts.targetEnv) {
    add("platform", ...compareTargets(p.target, opts.targetEnv, STATEMENT_FILE));
    target = opts.targetEnv;
  }
  res.target = target;
  add("platform", ...checkPlatform(p.wheels, target));

  // --- 6. closure (one version per project first: with duplicates the closure is ambiguous) ---
  const duplicates = checkOneVersionPerProject(p.wheels);
  add("closure", ...duplicates);
  const closure = checkClosure(p.wheels, p.requirements, target, providesExtra);
  res.closure = closure;
  if (!duplicates.length) add("closure", ...closure.findings);
  warnings.push(...closure.warnings);

  // --- 7. policy: deny lists ---
  const lists: DenyList[] = [];
  try {
    lists.push(denyListFromRules(p.policy.denyList.rules));
  } catch (e) {
    add("policy", refusal(BUNDLE.MALFORMED, `predicate.policy.denyList.rules: ${(e as Error).message}`, { subject: STATEMENT_FILE }));
  }
  if (opts.extraDenyList) lists.push(opts.extraDenyList);
  add("policy", ...checkDenyLists(p.wheels, lists));
  if (p.policy.testCode && !reuse) {
    const readable = p.wheels.filter((w) => present(wheelSubjectName(w.filename)));
    const tc = await checkTestCode(readable.map((w) => ({ filename: w.filename, name: w.name, path: path.join(dir, WHEELS_DIR, w.filename) })), p.policy.testCode);
    add("policy", ...tc.findings);
    res.testCodeWarnings = tc.hits.filter((h) => p.policy.testCode!.mode === "list" || h.excepted)
      .map((h) => `${h.filename} ships test code (${h.paths.length} file(s))${h.excepted ? " (excepted)" : ""}`);
    warnings.push(...res.testCodeWarnings);
  }

  // --- 8. lock ---
  let lockBytes: Buffer | undefined;
  if (reuse) {
    lockBytes = reuse.lockBytes;
    add("lock", ...checkLock(lockBytes, p.wheels));
  } else if (present(LOCK_FILE)) {
    lockBytes = readInputFile(path.join(dir, LOCK_FILE), { what: "bundle file", ioError: (e) => bundleIoError(`cannot read ${LOCK_FILE}`, dir, e) });
    add("lock", ...checkLock(lockBytes, p.wheels));
  }

  // --- 9. vulnerabilities ---
  await runGate();

  done();
  if (res.ok && res.signatures && lockBytes) {
    const findings = closure.unneeded.map((u) => ({ code: "ZWH-CLOSURE-UNNEEDED", message: `${u} is not needed by any requirement on this target`, subject: u }));
    res.verified = verifiedFrom(res.signatures, { lockBytes, findings, target, closure, scope: "full", ...(res.vulnerabilities ? { vulnerabilities: res.vulnerabilities } : {}) });
  }
  return res;
}

/** Gate settings: the caller's, else the bundle's signed policy, else the defaults. */
function loadGateFor(o: Omit<VulnGateOptions, "packages" | "now">, p: BundlePredicate, now: Date): Promise<VulnGate> {
  const signed = p.policy.vulnerability;
  const fromBundle: Partial<GateSettings> = signed ? { maxCvss: signed.maxCvss, refuseAt: signed.refuseAt, allowUnscored: signed.allowUnscored } : {};
  const given = Object.fromEntries(Object.entries(o.settings ?? {}).filter(([, v]) => v !== undefined)) as Partial<GateSettings>;
  return loadVulnGate({ ...o, settings: { ...fromBundle, ...given }, now, packages: p.wheels.map((w) => w.name) });
}

/**
 * Verify a bundle for deployment: returns the VerifiedBundle, or throws the first refusal (in
 * step order) with every finding in details.findings (exit code 3).
 */
export async function loadAndVerifyBundle(dir: string, opts: VerifyBundleOptions): Promise<VerifiedBundle> {
  const r = await verifyBundle(dir, opts);
  if (!r.ok || !r.verified) throw firstWithAll(r.findings.map((f) => f.error));
  return r.verified;
}

/**
 * Verify a bundle fully once (against its own manifest target) for a run that deploys it to many
 * targets: returns what to pass as filesVerified, or throws the first refusal like loadAndVerifyBundle.
 */
export async function verifyFilesOnce(dir: string, opts: Pick<VerifyBundleOptions, "trust" | "now" | "pool">): Promise<FilesVerified> {
  const r = await verifyBundle(dir, opts);
  const files = filesVerifiedOf(r);
  if (!files) throw firstWithAll(r.findings.map((f) => f.error));
  return files;
}

/**
 * Record the bundle's sequence as accepted for its channel in a SequenceStore (SDK users with their
 * own store); refuses (ZWH-SEQ-ROLLBACK / ZWH-SEQ-REPLAY) if the store moved on meanwhile.
 */
export function acceptBundleSequence(store: SequenceStore, verified: Pick<VerifiedBundle, "predicate" | "statementDigest">): void {
  store.accept(verified.predicate.channel, verified.predicate.sequence, verified.statementDigest);
}

/** JSON form of one finding. */
export function findingJson(f: BundleFinding): Record<string, unknown> {
  return { step: VERIFY_STEPS.indexOf(f.step), stepName: f.step, ...f.error.toJSON() };
}
