/**
 * DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse protocol v1.0.0).
 *
 * Signatures are over PAE(payloadType, payload), never over the JSON envelope, so the envelope
 * can be re-serialised freely. Ed25519 signs PAE directly; ECDSA P-256 signs SHA-256(PAE) and
 * emits DER. Verification accepts DER or raw r||s (IEEE P1363) ECDSA signatures and standard
 * or URL-safe base64, as the spec requires of verifiers.
 */
import * as crypto from "node:crypto";
import { ZwhError, refusal } from "../../core/errors";
import { KEY, SIG } from "./codes";
import { keyIdOf, keyTypeOf } from "./keys";

export const INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

export interface DsseSignature {
  /** Unauthenticated hint only; never used to decide trust. */
  keyid?: string;
  /** base64 signature. */
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  /** base64 of the exact payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

/** PAE = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes as ASCII decimal. */
export function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, "ascii"),
    type,
    Buffer.from(` ${body.length} `, "ascii"),
    body,
  ]);
}

/**
 * Decode standard or URL-safe base64, padded or not. Node's own decoder silently skips
 * characters it does not know, which would let garbage through, so the alphabet and padding
 * are checked first.
 */
export function decodeBase64Any(s: unknown, what: string, code: string = SIG.INVALID): Buffer {
  if (typeof s !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(s) || s.replace(/=+$/, "").length % 4 === 1) {
    throw refusal(code, `${what} is not valid base64`, { subject: what, hint: "The envelope is damaged; obtain the bundle again." });
  }
  if (/=/.test(s) && s.length % 4 !== 0) {
    throw refusal(code, `${what} has wrong base64 padding`, { subject: what, hint: "The envelope is damaged; obtain the bundle again." });
  }
  return Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

/** Sign data with an Ed25519 or P-256 private key (ECDSA → DER). */
export function rawSign(privateKey: crypto.KeyObject, data: Buffer): Buffer {
  if (privateKey.type !== "private") {
    throw new ZwhError(KEY.USAGE, "signing needs a private key, got a public key", {
      hint: "Pass the PREFIX.key file written by 'zwh keys generate'.",
    });
  }
  switch (keyTypeOf(privateKey)) {
    case "ed25519":
      return crypto.sign(null, data, privateKey);
    case "ecdsa-p256":
      return crypto.sign("sha256", data, { key: privateKey, dsaEncoding: "der" });
    default:
      throw new ZwhError(KEY.UNSUPPORTED, "DSSE signing supports Ed25519 and ECDSA P-256 keys only", {
        hint: "Generate a signing key with 'zwh keys generate --type ed25519'. RSA keys can sign via SSHSIG (ssh-keygen -Y sign).",
      });
  }
}

/** Verify; ECDSA accepts DER and, failing that, a 64-byte raw r||s. Never throws on bad input. */
export function rawVerify(publicKey: crypto.KeyObject, data: Buffer, sig: Buffer): boolean {
  try {
    switch (keyTypeOf(publicKey)) {
      case "ed25519":
        return sig.length === 64 && crypto.verify(null, data, publicKey, sig);
      case "ecdsa-p256": {
        let ok = false;
        try {
          ok = crypto.verify("sha256", data, { key: publicKey, dsaEncoding: "der" }, sig);
        } catch {
          ok = false;
        }
        if (!ok && sig.length === 64) ok = crypto.verify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, sig);
        return ok;
      }
      default:
        return false;
    }
  } catch {
    return false;
  }
}

export function createEnvelope(payload: Buffer, payloadType: string = INTOTO_PAYLOAD_TYPE): DsseEnvelope {
  return { payloadType, payload: payload.toString("base64"), signatures: [] };
}

/**
 * Return a copy of the envelope with one more signature. The same key signing twice is
 * refused: it would not count twice anyway and only hides mistakes.
 */
export function addSignature(envelope: DsseEnvelope, privateKey: crypto.KeyObject): DsseEnvelope {
  const env = parseEnvelope(envelope);
  const keyid = keyIdOf(privateKey);
  if (env.signatures.some((s) => s.keyid === keyid)) {
    throw new ZwhError(KEY.ALREADY_SIGNED, `key ${keyid} has already signed this envelope`, {
      subject: keyid,
      hint: "Each signer signs once; a second signature by the same key does not count toward the threshold.",
    });
  }
  const body = decodeBase64Any(env.payload, "DSSE payload");
  const sig = rawSign(privateKey, pae(env.payloadType, body));
  return { ...env, signatures: [...env.signatures, { keyid, sig: sig.toString("base64") }] };
}

/** New envelope over payload, signed by one key. */
export function signEnvelope(payload: Buffer, privateKey: crypto.KeyObject, payloadType: string = INTOTO_PAYLOAD_TYPE): DsseEnvelope {
  return addSignature(createEnvelope(payload, payloadType), privateKey);
}

/** Check the envelope's shape (from JSON text, bytes or an object); refuses with ZWH-SIG-INVALID. */
export function parseEnvelope(input: string | Buffer | unknown, subject = "DSSE envelope"): DsseEnvelope {
  let obj: unknown = input;
  if (typeof input === "string" || Buffer.isBuffer(input)) {
    try {
      obj = JSON.parse(Buffer.isBuffer(input) ? input.toString("utf8") : input);
    } catch (e) {
      throw refusal(SIG.INVALID, `${subject} is not valid JSON`, { subject, hint: "The envelope is damaged; obtain the bundle again.", cause: e });
    }
  }
  const bad = (msg: string): never => {
    throw refusal(SIG.INVALID, `${subject} is malformed: ${msg}`, { subject, hint: "Re-sign the bundle with 'zwh bundle sign'." });
  };
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) bad("not a JSON object");
  const o = obj as Record<string, unknown>;
  if (typeof o.payloadType !== "string" || o.payloadType === "") bad("payloadType is missing");
  if (typeof o.payload !== "string") bad("payload is missing");
  if (!Array.isArray(o.signatures)) bad("signatures is not an array");
  const signatures: DsseSignature[] = (o.signatures as unknown[]).map((s, i) => {
    if (typeof s !== "object" || s === null) bad(`signatures[${i}] is not an object`);
    const so = s as Record<string, unknown>;
    if (typeof so.sig !== "string") bad(`signatures[${i}].sig is missing`);
    if (so.keyid !== undefined && typeof so.keyid !== "string") bad(`signatures[${i}].keyid is not a string`);
    return so.keyid === undefined ? { sig: so.sig as string } : { keyid: so.keyid as string, sig: so.sig as string };
  });
  return { payloadType: o.payloadType as string, payload: o.payload as string, signatures };
}

export interface VerifierKey {
  keyid: string;
  key: crypto.KeyObject;
}

export interface EnvelopeVerification {
  payloadType: string;
  payload: Buffer;
  /** Unique key ids (in first-verified order) whose signature verified. */
  verifiedKeyIds: string[];
  /** Signatures that did not verify against any given key, with why. */
  rejected: Array<{ index: number; keyid?: string; reason: "unknown-key" | "bad-signature" | "bad-encoding" }>;
}

/**
 * Verify every signature against the given (trusted) keys. A signature whose keyid hint names
 * a key is tried against that key first, then against the rest, because keyid is only a hint.
 * Each key is counted once however many signatures it made. The threshold is the caller's.
 */
export function verifyEnvelope(envelope: DsseEnvelope | string | Buffer, keys: readonly VerifierKey[]): EnvelopeVerification {
  const env = parseEnvelope(envelope);
  const payload = decodeBase64Any(env.payload, "DSSE payload");
  const msg = pae(env.payloadType, payload);
  const verified: string[] = [];
  const rejected: EnvelopeVerification["rejected"] = [];
  env.signatures.forEach((s, index) => {
    let sig: Buffer;
    try {
      sig = decodeBase64Any(s.sig, `DSSE signatures[${index}].sig`);
    } catch {
      rejected.push({ index, keyid: s.keyid, reason: "bad-encoding" });
      return;
    }
    const ordered = [...keys.filter((k) => k.keyid === s.keyid), ...keys.filter((k) => k.keyid !== s.keyid)];
    const hit = ordered.find((k) => rawVerify(k.key, msg, sig));
    if (hit) {
      if (!verified.includes(hit.keyid)) verified.push(hit.keyid);
    } else {
      const named = s.keyid !== undefined && keys.some((k) => k.keyid === s.keyid);
      rejected.push({ index, keyid: s.keyid, reason: named ? "bad-signature" : "unknown-key" });
    }
  });
  return { payloadType: env.payloadType, payload, verifiedKeyIds: verified, rejected };
}
