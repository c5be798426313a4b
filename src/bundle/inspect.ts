/**
 * `bundle inspect`: what is inside a bundle, who signed it, its closure tree and policy result,
 * without requiring trust (with a trust file, signer names and whether they verify are shown).
 * Nothing here is a verification: deploy uses loadAndVerifyBundle().
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ZwhError } from "../core/errors";
import { formatClosureTree, ClosureResult } from "../core/closure";
import { keyIdOf, parseEnvelope, parseSshsig, statementDigest, verifyStatementSignatures, Trust } from "./signing";
import { readOptional, readStatementFile } from "./files";
import { checkClosure, checkPolicy, denyListFromRules } from "./checks";
import { BundleStatement, DSSE_FILE, SSHSIG_FILE, WHEELS_DIR, parseStatement, wheelSubjectName } from "./statement";
import { splitSshsigs } from "./verify";

export interface InspectedSignature {
  carrier: "dsse" | "sshsig";
  index: number;
  /** DSSE: the envelope's unauthenticated keyid hint; SSHSIG: id of the embedded public key. */
  keyid: string | null;
  /** Signer name from the trust file, when given and the key is in it. */
  name: string | null;
  /** Only with a trust file: whether this key's signature verified. */
  verified: boolean | null;
  problem?: string;
}

export interface BundleInspection {
  dir: string;
  statementDigest: string;
  statement: BundleStatement;
  signatures: InspectedSignature[];
  /** With a trust file: the signature verdict (null = would be accepted). */
  signatureRefusal: ZwhError | null;
  files: Array<{ name: string; present: boolean; size: number | null }>;
  closure: ClosureResult;
  closureTree: string;
  policy: ZwhError[];
}

export async function inspectBundle(dirArg: string, opts: { trust?: Trust } = {}): Promise<BundleInspection> {
  const dir = path.resolve(dirArg);
  const bytes = readStatementFile(dir);
  const statement = parseStatement(bytes);
  const p = statement.predicate;
  const signatures: InspectedSignature[] = [];
  const nameOf = (id: string | null) => (id && opts.trust ? opts.trust.keys.find((k) => k.keyid === id)?.name ?? null : null);
  const dsse = readOptional(path.join(dir, DSSE_FILE));
  const sig = readOptional(path.join(dir, SSHSIG_FILE))?.toString("utf8");
  if (dsse) {
    try {
      parseEnvelope(dsse, DSSE_FILE).signatures.forEach((s, index) => signatures.push({ carrier: "dsse", index, keyid: s.keyid ?? null, name: nameOf(s.keyid ?? null), verified: null }));
    } catch (e) {
      signatures.push({ carrier: "dsse", index: 0, keyid: null, name: null, verified: false, problem: (e as Error).message });
    }
  }
  const sshBlocks = sig ? splitSshsigs(sig) : [];
  sshBlocks.forEach((b, index) => {
    try {
      const ps = parseSshsig(b, SSHSIG_FILE);
      const id = keyIdOf(ps.publicKey);
      signatures.push({ carrier: "sshsig", index, keyid: id, name: nameOf(id), verified: null });
    } catch (e) {
      signatures.push({ carrier: "sshsig", index, keyid: null, name: null, verified: false, problem: (e as Error).message });
    }
  });
  let signatureRefusal: ZwhError | null = null;
  if (opts.trust) {
    const v = verifyStatementSignatures({
      statementBytes: bytes, dsseEnvelope: dsse, sshsig: sshBlocks.length ? sshBlocks : undefined, trust: opts.trust, channel: p.channel, enforce: false,
    });
    signatureRefusal = v.refusal ?? null;
    const ok = new Set(v.signers.map((s) => s.keyid));
    for (const s of signatures) if (s.verified === null) s.verified = s.keyid !== null && ok.has(s.keyid);
  }
  const files = statement.subject.map((s) => {
    try {
      const st = fs.lstatSync(path.join(dir, s.name));
      return { name: s.name, present: st.isFile(), size: st.isFile() ? st.size : null };
    } catch {
      return { name: s.name, present: false, size: null };
    }
  });
  const closure = checkClosure(p.wheels, p.requirements, p.target);
  let policy: ZwhError[];
  try {
    policy = checkPolicy(p.wheels, [denyListFromRules(p.policy.denyList.rules)]);
  } catch (e) {
    policy = [e as ZwhError];
  }
  return { dir, statementDigest: statementDigest(bytes), statement, signatures, signatureRefusal, files, closure, closureTree: formatClosureTree(closure), policy };
}

export function renderInspection(r: BundleInspection): string {
  const p = r.statement.predicate;
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const lines = [
    `Bundle     ${p.bundleId}  channel ${p.channel}  sequence ${p.sequence}`,
    `Directory  ${r.dir}`,
    `Statement  ${r.statementDigest}`,
    `Created    ${p.createdAt}   expires ${p.expires}`,
    `Target     CPython ${p.target.pythonVersion} on ${p.target.platform} (${p.target.compatibleTags.length} compatible tags; sys_platform=${p.target.markerEnv.sys_platform ?? "?"})`,
    `Wheels     ${p.wheels.length}, ${mb(p.wheels.reduce((a, w) => a + w.size, 0))}`,
  ];
  for (const w of p.wheels) {
    const f = r.files.find((x) => x.name === wheelSubjectName(w.filename));
    lines.push(`  ${w.name} ${w.version}  ${w.filename}  ${w.sha256.slice(0, 16)}…${f && !f.present ? "  [MISSING]" : ""}`);
  }
  lines.push(`Signatures ${r.signatures.length === 0 ? "none (unsigned)" : ""}`);
  for (const s of r.signatures) {
    const who = s.name ? `${s.name} ` : "";
    const v = s.verified === null ? "" : s.verified ? "  verified" : "  NOT verified";
    lines.push(`  ${s.carrier}[${s.index}] ${who}${s.keyid ?? "(no key id)"}${v}${s.problem ? `  (${s.problem})` : ""}`);
  }
  if (r.signatureRefusal) lines.push(`  => ${r.signatureRefusal.code}: ${r.signatureRefusal.message}`);
  lines.push(`Requirements ${p.requirements.length ? p.requirements.join(", ") : "(none: every wheel is a root)"}`);
  lines.push("Closure on the bundle's target:");
  lines.push(...r.closureTree.trimEnd().split("\n").map((l) => "  " + l));
  for (const f of r.closure.findings) lines.push(`  ${f.code}: ${f.message}`);
  lines.push(`Policy     deny rules: ${p.policy.denyList.rules.length}; one version per project; only binary`);
  if (r.policy.length === 0) lines.push("  passes");
  for (const f of r.policy) lines.push(`  ${f.code}: ${f.message}`);
  lines.push(`pip flags  ${p.pip.flags.join(" ")}`);
  lines.push(`Layout     ${WHEELS_DIR}/ + ${r.files.length} subject(s); run 'zwh bundle verify' before deploying.`);
  return lines.join("\n");
}
