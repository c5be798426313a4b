/**
 * SSHSIG (openssh-portable PROTOCOL.sshsig): the format of `ssh-keygen -Y sign`.
 *
 *   blob        = "SSHSIG" u32(1) string(publickey) string(namespace) string(reserved)
 *                 string(hash_algorithm) string(signature)
 *   signed data = "SSHSIG" string(namespace) string(reserved) string(hash_algorithm) string(H(message))
 *
 * The namespace is part of the signed data, so a signature made for another purpose (git
 * commits, files) can never pass as a bundle signature. Only sha256/sha512 message hashes and
 * ssh-ed25519, ecdsa-sha2-nistp256 and rsa-sha2-256/512 signatures are accepted; SHA-1
 * "ssh-rsa" signatures are refused.
 */
import * as crypto from "node:crypto";
import { ZwhError, refusal } from "../../core/errors";
import { KEY, SIG } from "./codes";
import { keyIdOf, keyTypeOf, parseOpenSshPublicKeyLine, publicKeyFromSshBlob, sshPublicKeyBlob } from "./keys";
import { SshReader, padTo, sshMpint, sshString, sshUint32 } from "./ssh-wire";

export const BUNDLE_SSH_NAMESPACE = "zos-wheelhouse-bundle";
const MAGIC = Buffer.from("SSHSIG", "ascii");
const BEGIN = "-----BEGIN SSH SIGNATURE-----";
const END = "-----END SSH SIGNATURE-----";

export type SshHashAlg = "sha256" | "sha512";

export interface ParsedSshsig {
  publicKey: crypto.KeyObject;
  keyid: string;
  namespace: string;
  hashAlg: SshHashAlg;
  /** Signature algorithm inside the blob, e.g. "ssh-ed25519", "rsa-sha2-512". */
  sigAlg: string;
  signature: Buffer;
}

function invalid(msg: string, subject: string, hint = "The signature file is damaged or not made by 'ssh-keygen -Y sign'."): ZwhError {
  return refusal(SIG.INVALID, msg, { subject, hint });
}

/** Parse the armoured signature; checks magic, version 1 and the hash algorithm. */
export function parseSshsig(armoured: string | Buffer, subject = "SSH signature"): ParsedSshsig {
  const text = typeof armoured === "string" ? armoured : armoured.toString("utf8");
  const start = text.indexOf(BEGIN);
  const stop = text.indexOf(END);
  if (start < 0 || stop < start) throw invalid(`${subject} has no '${BEGIN}' armour`, subject);
  const b64 = text.slice(start + BEGIN.length, stop).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw invalid(`${subject} armour is not base64`, subject);
  const blob = Buffer.from(b64, "base64");
  if (!blob.subarray(0, 6).equals(MAGIC)) throw invalid(`${subject} does not start with the SSHSIG magic`, subject);
  let r: SshReader;
  try {
    r = new SshReader(blob.subarray(6), subject, SIG.INVALID);
    const version = r.uint32();
    if (version !== 1) throw invalid(`${subject} has SSHSIG version ${version}; only version 1 is supported`, subject);
    const pkBlob = r.string();
    const namespace = r.text();
    r.string(); // reserved: ignored by verifiers per the spec
    const hashAlg = r.text();
    const sigBlob = r.string();
    r.end();
    if (hashAlg !== "sha256" && hashAlg !== "sha512") {
      throw invalid(`${subject} uses hash algorithm '${hashAlg}'; only sha256 and sha512 are accepted`, subject);
    }
    let publicKey: crypto.KeyObject;
    try {
      publicKey = publicKeyFromSshBlob(pkBlob, `${subject} public key`);
    } catch (e) {
      throw invalid(`${subject}: ${(e as Error).message}`, subject);
    }
    const sr = new SshReader(sigBlob, subject, SIG.INVALID);
    const sigAlg = sr.text();
    const signature = sr.string();
    sr.end();
    return { publicKey, keyid: keyIdOf(publicKey), namespace, hashAlg, sigAlg, signature };
  } catch (e) {
    if (e instanceof ZwhError) throw refusal(SIG.INVALID, e.message, { subject, hint: e.hint, cause: e });
    throw e;
  }
}

/** The bytes the private key signs: "SSHSIG" ‖ namespace ‖ reserved ‖ hash_alg ‖ H(message). */
export function sshsigSignedData(message: Buffer, namespace: string, hashAlg: SshHashAlg): Buffer {
  return Buffer.concat([
    MAGIC,
    sshString(namespace),
    sshString(Buffer.alloc(0)),
    sshString(hashAlg),
    sshString(crypto.createHash(hashAlg).update(message).digest()),
  ]);
}

/** Check the inner SSH signature with the embedded key; the algorithm must match the key. */
function verifyInner(p: ParsedSshsig, data: Buffer): boolean {
  try {
    switch (keyTypeOf(p.publicKey)) {
      case "ed25519":
        return p.sigAlg === "ssh-ed25519" && p.signature.length === 64 && crypto.verify(null, data, p.publicKey, p.signature);
      case "ecdsa-p256": {
        if (p.sigAlg !== "ecdsa-sha2-nistp256") return false;
        const r = new SshReader(p.signature, "ECDSA signature", SIG.INVALID);
        const rr = padTo(r.mpintUnsigned(), 32, "ECDSA r", SIG.INVALID);
        const ss = padTo(r.mpintUnsigned(), 32, "ECDSA s", SIG.INVALID);
        r.end();
        return crypto.verify("sha256", data, { key: p.publicKey, dsaEncoding: "ieee-p1363" }, Buffer.concat([rr, ss]));
      }
      case "rsa": {
        const hash = p.sigAlg === "rsa-sha2-256" ? "sha256" : p.sigAlg === "rsa-sha2-512" ? "sha512" : undefined;
        if (!hash) return false; // "ssh-rsa" means SHA-1: refused
        return crypto.verify(hash, data, { key: p.publicKey, padding: crypto.constants.RSA_PKCS1_PADDING }, p.signature);
      }
    }
  } catch {
    return false;
  }
}

export interface AllowedSigner {
  principals: string[];
  /** From namespaces="a,b"; undefined = any namespace. */
  namespaces?: string[];
  certAuthority: boolean;
  validAfter?: Date;
  validBefore?: Date;
  key: crypto.KeyObject;
  keyid: string;
  /** 1-based line number in the allowed_signers file. */
  line: number;
}

export interface SshsigVerifyOptions {
  /** Required namespace, e.g. BUNDLE_SSH_NAMESPACE. */
  namespace: string;
  /** The signer's key must be one of these (allowed_signers lines). */
  allowedSigners?: readonly AllowedSigner[];
  /** Principal to match in allowedSigners (ssh-keygen -I); any principal when omitted. */
  principal?: string;
  /** Alternatively/additionally: the signer's key id must be in this set. */
  trustedKeyIds?: ReadonlySet<string>;
  /** Evaluation time for valid-after/valid-before (default now). */
  now?: Date;
  subject?: string;
}

export interface SshsigVerification {
  keyid: string;
  publicKey: crypto.KeyObject;
  hashAlg: SshHashAlg;
  sigAlg: string;
  /** Principals of the matching allowed_signers line, if allowedSigners was given. */
  principals?: string[];
}

/**
 * Verify an SSHSIG over message. Order: format → namespace → signature → trusted signer, so a
 * modified message is reported as an invalid signature whoever claims to have made it.
 */
export function verifySshsig(message: Buffer, armoured: string | Buffer, opts: SshsigVerifyOptions): SshsigVerification {
  const subject = opts.subject ?? "SSH signature";
  const p = parseSshsig(armoured, subject);
  if (p.namespace !== opts.namespace) {
    throw refusal(SIG.INVALID, `${subject} was made for namespace '${p.namespace}', not '${opts.namespace}'`, {
      subject,
      hint: `Sign with 'ssh-keygen -Y sign -n ${opts.namespace} -f KEY FILE'.`,
    });
  }
  if (!verifyInner(p, sshsigSignedData(message, p.namespace, p.hashAlg))) {
    throw refusal(SIG.INVALID, `${subject} does not verify over the signed file (key ${p.keyid})`, {
      subject,
      hint: "The file was modified after signing, or the signature belongs to another file.",
    });
  }
  const out: SshsigVerification = { keyid: p.keyid, publicKey: p.publicKey, hashAlg: p.hashAlg, sigAlg: p.sigAlg };
  if (opts.trustedKeyIds && !opts.trustedKeyIds.has(p.keyid)) {
    throw refusal(SIG.UNTRUSTED, `${subject} is signed by key ${p.keyid}, which is not trusted`, {
      subject,
      hint: "Add the signer's public key with 'zwh trust add-key' if it should be trusted.",
      details: { keyid: p.keyid },
    });
  }
  if (opts.allowedSigners) {
    const now = opts.now ?? new Date();
    const match = opts.allowedSigners.find((a) =>
      !a.certAuthority &&
      a.keyid === p.keyid &&
      (opts.principal === undefined || matchPrincipal(opts.principal, a.principals)) &&
      (a.namespaces === undefined || a.namespaces.some((n) => globMatch(n, p.namespace))) &&
      (a.validAfter === undefined || now >= a.validAfter) &&
      (a.validBefore === undefined || now <= a.validBefore));
    if (!match) {
      throw refusal(SIG.UNTRUSTED, `${subject} is signed by key ${p.keyid}, which is not an allowed signer` +
        (opts.principal ? ` for '${opts.principal}'` : "") + ` in namespace '${p.namespace}'`, {
        subject,
        hint: "Check the allowed_signers line for this key: principal, namespaces= and valid-after/valid-before.",
        details: { keyid: p.keyid },
      });
    }
    out.principals = match.principals;
  }
  return out;
}

/** Create an armoured SSHSIG (ed25519 or P-256), byte-compatible with `ssh-keygen -Y sign`. */
export function signSshsig(message: Buffer, privateKey: crypto.KeyObject, namespace: string = BUNDLE_SSH_NAMESPACE,
  hashAlg: SshHashAlg = "sha512"): string {
  if (privateKey.type !== "private") throw new ZwhError(KEY.USAGE, "SSHSIG signing needs a private key");
  if (namespace === "") throw new ZwhError(KEY.USAGE, "SSHSIG namespace must not be empty");
  const data = sshsigSignedData(message, namespace, hashAlg);
  let sigField: Buffer;
  switch (keyTypeOf(privateKey)) {
    case "ed25519":
      sigField = Buffer.concat([sshString("ssh-ed25519"), sshString(crypto.sign(null, data, privateKey))]);
      break;
    case "ecdsa-p256": {
      const raw = crypto.sign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" });
      const inner = Buffer.concat([sshMpint(raw.subarray(0, 32)), sshMpint(raw.subarray(32))]);
      sigField = Buffer.concat([sshString("ecdsa-sha2-nistp256"), sshString(inner)]);
      break;
    }
    default:
      throw new ZwhError(KEY.UNSUPPORTED, "SSHSIG signing in zwh supports ed25519 and P-256 keys; use ssh-keygen -Y sign for RSA");
  }
  const blob = Buffer.concat([
    MAGIC,
    sshUint32(1),
    sshString(sshPublicKeyBlob(privateKey)),
    sshString(namespace),
    sshString(Buffer.alloc(0)),
    sshString(hashAlg),
    sshString(sigField),
  ]);
  const b64 = blob.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  return `${BEGIN}\n${lines.join("\n")}\n${END}\n`;
}

// ---------------------------------------------------------------------------------------------
// allowed_signers (ssh-keygen(1) "ALLOWED SIGNERS")

/** OpenSSH pattern: '*' any run, '?' one character. */
function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp("^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
  return re.test(s);
}

/** Comma-separated pattern list with '!' negation: any negated match wins (match_pattern_list). */
function matchPrincipal(principal: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith("!")) {
      if (globMatch(p.slice(1), principal)) return false;
    } else if (globMatch(p, principal)) {
      matched = true;
    }
  }
  return matched;
}

/** Split off one whitespace-delimited token that may contain "quoted strings". */
function takeToken(s: string): [string, string] {
  let i = 0;
  let quoted = false;
  while (i < s.length) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === " " || c === "\t")) break;
    i++;
  }
  if (quoted) throw new Error("unterminated quote");
  return [s.slice(0, i), s.slice(i).trimStart()];
}

function parseTimestamp(v: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z)?$/.exec(v);
  if (!m) throw new Error(`bad timestamp '${v}' (expected YYYYMMDD[HHMM[SS]][Z])`);
  const [, y, mo, d, h = "00", mi = "00", sec = "00", z] = m;
  return z
    ? new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec))
    : new Date(+y, +mo - 1, +d, +h, +mi, +sec);
}

/** Split the options field on commas that are not inside quotes. */
function splitOptions(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const c of s) {
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * Parse an allowed_signers file: `principals [options] keytype base64 [comment]` per line;
 * blank lines and '#' comments are skipped. Malformed lines are errors (a silently skipped
 * line could hide a signer the operator meant to restrict).
 */
export function parseAllowedSigners(text: string, source = "allowed_signers"): AllowedSigner[] {
  const out: AllowedSigner[] = [];
  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = idx + 1;
    const s = raw.trim();
    if (s === "" || s.startsWith("#")) return;
    const fail = (msg: string): never => {
      throw new ZwhError("ZWH-TRUST-ALLOWED-SIGNERS", `${source}:${line}: ${msg}`, {
        subject: `${source}:${line}`,
        hint: "Each line is 'principals [options] keytype base64-key [comment]' (see ssh-keygen(1), ALLOWED SIGNERS).",
      });
    };
    try {
      let [principalsTok, rest] = takeToken(s);
      const principals = principalsTok.replace(/"/g, "").split(",").filter((p) => p !== "");
      if (principals.length === 0) fail("no principals");
      let optsTok = "";
      if (!/^(ssh-|ecdsa-|sk-)/.test(rest)) [optsTok, rest] = takeToken(rest);
      const entry: Partial<AllowedSigner> = { principals, certAuthority: false, line };
      for (const opt of optsTok ? splitOptions(optsTok) : []) {
        const eq = opt.indexOf("=");
        const name = (eq < 0 ? opt : opt.slice(0, eq)).toLowerCase();
        const value = eq < 0 ? undefined : opt.slice(eq + 1).replace(/^"|"$/g, "");
        if (name === "cert-authority") entry.certAuthority = true;
        else if (name === "namespaces" && value !== undefined) entry.namespaces = value.split(",").filter((n) => n !== "");
        else if (name === "valid-after" && value !== undefined) entry.validAfter = parseTimestamp(value);
        else if (name === "valid-before" && value !== undefined) entry.validBefore = parseTimestamp(value);
        else fail(`unknown option '${opt}'`);
      }
      const { key } = parseOpenSshPublicKeyLine(rest, `${source}:${line}`);
      out.push({ ...(entry as AllowedSigner), key, keyid: keyIdOf(key) });
    } catch (e) {
      if (e instanceof ZwhError && e.code === "ZWH-TRUST-ALLOWED-SIGNERS") throw e;
      fail((e as Error).message);
    }
  });
  return out;
}

/** One allowed_signers line, e.g. for cross-checking with `ssh-keygen -Y verify`. */
export function formatAllowedSigner(principal: string, key: crypto.KeyObject, namespaces?: readonly string[]): string {
  const blob = sshPublicKeyBlob(key);
  const alg = new SshReader(blob, "public key", KEY.FORMAT).text();
  const opts = namespaces && namespaces.length > 0 ? ` namespaces="${namespaces.join(",")}"` : "";
  return `${principal}${opts} ${alg} ${blob.toString("base64")}`;
}
