/**
 * The one entry point the bundle verifier calls: are the statement bytes signed by enough
 * trusted keys for this channel?
 *
 * Order (supply-chain §8 step 2, fail closed, first failure wins):
 *   1. some signature carrier exists                              ZWH-SIG-MISSING
 *   2. the DSSE envelope is well-formed, its payloadType is in-toto and its payload is
 *      byte-identical to the statement file                       ZWH-SIG-INVALID
 *   3. signatures verify (DSSE over PAE; SSHSIG with the trust file's namespace) by keys in the
 *      trust file: none trusted verified → ZWH-SIG-INVALID if a trusted key's signature was
 *      bad (tampering), else ZWH-SIG-UNTRUSTED
 *   4. unique verified trusted keys ≥ threshold                   ZWH-SIG-THRESHOLD
 *   5. the channel is in the trust file (and matches the statement's predicate.channel when
 *      present), and ≥ threshold of the verified keys may sign it ZWH-SIG-CHANNEL
 * A key counts once however many signatures (DSSE and SSHSIG) it made. Signatures that fail
 * are skipped as DSSE's t-of-n rule says, and reported in `rejected`.
 * Step 3 of §8 (expires, sequence) is sequence-state.ts: checkExpiry / checkSequence.
 */
import * as crypto from "node:crypto";
import { ZwhError, refusal } from "../../core/errors";
import { SIG } from "./codes";
import { DsseEnvelope, INTOTO_PAYLOAD_TYPE, addSignature as dsseAddSignature, decodeBase64Any, parseEnvelope, signEnvelope, verifyEnvelope } from "./dsse";
import { signSshsig, verifySshsig } from "./sshsig";
import { Trust, keysForChannel } from "./trust";

export type SignatureCarrier = "dsse" | "sshsig";

export interface VerifyStatementInput {
  /** Exact bytes of manifest.intoto.json. */
  statementBytes: Buffer;
  /** manifest.dsse.json: parsed object, JSON text or bytes. */
  dsseEnvelope?: DsseEnvelope | string | Buffer;
  /** manifest.intoto.json.sig: one or more armoured SSHSIG texts. */
  sshsig?: string | Buffer | ReadonlyArray<string | Buffer>;
  trust: Trust;
  /** The bundle's channel. */
  channel: string;
  /** File names used in messages. */
  files?: { statement?: string; envelope?: string; sshsig?: string };
  /** false = return the refusal in the result instead of throwing (for inspect/report views). */
  enforce?: boolean;
}

export interface VerifiedSigner {
  keyid: string;
  name: string;
  /** The carrier whose signature by this key verified first. */
  kind: SignatureCarrier;
}

export interface RejectedSignature {
  kind: SignatureCarrier;
  index: number;
  keyid?: string;
  reason: string;
}

export interface StatementVerification {
  /**
   * Verified trusted keys allowed for the channel: the ones that count toward the threshold.
   * (In a refusal returned with enforce:false: the verified trusted keys found so far.)
   */
  verifiedKeyIds: string[];
  signers: VerifiedSigner[];
  threshold: number;
  thresholdMet: boolean;
  channel: string;
  rejected: RejectedSignature[];
  /** Only with enforce:false: the refusal that would have been thrown. */
  refusal?: ZwhError;
}

function asList(v: VerifyStatementInput["sshsig"]): Array<string | Buffer> {
  if (v === undefined) return [];
  if (typeof v === "string" || Buffer.isBuffer(v)) return [v];
  return [...v];
}

/** The statement's own predicate.channel, if the bytes are an in-toto statement that has one. */
function statementChannel(bytes: Buffer): string | undefined {
  try {
    const s = JSON.parse(bytes.toString("utf8")) as { predicate?: { channel?: unknown } };
    return typeof s?.predicate?.channel === "string" ? s.predicate.channel : undefined;
  } catch {
    return undefined;
  }
}

export function verifyStatementSignatures(input: VerifyStatementInput): StatementVerification {
  const { trust, channel, statementBytes } = input;
  const stmtFile = input.files?.statement ?? "manifest.intoto.json";
  const envFile = input.files?.envelope ?? "manifest.dsse.json";
  const sigFile = input.files?.sshsig ?? "manifest.intoto.json.sig";
  const threshold = trust.doc.threshold;
  const result: StatementVerification = { verifiedKeyIds: [], signers: [], threshold, thresholdMet: false, channel, rejected: [] };
  const fail = (e: ZwhError): StatementVerification => {
    if (input.enforce === false) return { ...result, refusal: e };
    throw e;
  };

  // 1. carriers
  const sshsigs = asList(input.sshsig);
  let envelope: DsseEnvelope | undefined;
  try {
    if (input.dsseEnvelope !== undefined) envelope = parseEnvelope(input.dsseEnvelope, envFile);
  } catch (e) {
    return fail(e as ZwhError);
  }
  const nDsse = envelope?.signatures.length ?? 0;
  if (nDsse + sshsigs.length === 0) {
    return fail(refusal(SIG.MISSING, `no signature found for ${stmtFile}`, {
      subject: stmtFile,
      hint: `Sign the bundle ('zwh bundle sign' writes ${envFile}, or 'ssh-keygen -Y sign -n ${trust.doc.sshNamespace}' writes ${sigFile}).`,
    }));
  }

  // 2. exact bytes
  if (envelope) {
    if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE) {
      return fail(refusal(SIG.INVALID, `${envFile} has payloadType '${envelope.payloadType}', expected '${INTOTO_PAYLOAD_TYPE}'`, {
        subject: envFile, hint: "This envelope does not carry a bundle manifest; re-sign the bundle.",
      }));
    }
    let payload: Buffer;
    try {
      payload = decodeBase64Any(envelope.payload, `${envFile} payload`);
    } catch (e) {
      return fail(e as ZwhError);
    }
    if (!payload.equals(statementBytes)) {
      return fail(refusal(SIG.INVALID, `the payload signed in ${envFile} is not byte-identical to ${stmtFile}`, {
        subject: stmtFile,
        hint: "The manifest was changed after signing (or the envelope belongs to another bundle). Obtain the bundle again; do not edit signed manifests.",
        details: {
          statementSha256: crypto.createHash("sha256").update(statementBytes).digest("hex"),
          payloadSha256: crypto.createHash("sha256").update(payload).digest("hex"),
        },
      }));
    }
  }

  // 3. signatures by trusted keys (all trusted keys; channel rules come last, as in §8)
  const byId = new Map(trust.keys.map((k) => [k.keyid, k]));
  const verified = new Map<string, VerifiedSigner>();
  let badByTrusted = false;
  if (envelope) {
    const v = verifyEnvelope(envelope, trust.keys);
    for (const id of v.verifiedKeyIds) {
      if (!verified.has(id)) verified.set(id, { keyid: id, name: byId.get(id)!.name, kind: "dsse" });
    }
    for (const r of v.rejected) {
      if (r.reason === "bad-signature" || r.reason === "bad-encoding") badByTrusted = true;
      result.rejected.push({ kind: "dsse", index: r.index, keyid: r.keyid, reason: r.reason });
    }
  }
  sshsigs.forEach((armoured, index) => {
    try {
      const v = verifySshsig(statementBytes, armoured, { namespace: trust.doc.sshNamespace, subject: sigFile });
      const k = byId.get(v.keyid);
      if (!k) {
        result.rejected.push({ kind: "sshsig", index, keyid: v.keyid, reason: "unknown-key" });
      } else if (!verified.has(k.keyid)) {
        verified.set(k.keyid, { keyid: k.keyid, name: k.name, kind: "sshsig" });
      }
    } catch (e) {
      // A malformed SSHSIG, a wrong namespace or a signature that does not verify: the file
      // is evidence of tampering or misuse, whoever made it.
      badByTrusted = true;
      result.rejected.push({ kind: "sshsig", index, reason: e instanceof ZwhError ? e.message : String(e) });
    }
  });
  const rejectedText = result.rejected.map((r) => `${r.kind}[${r.index}]${r.keyid ? " " + r.keyid : ""}: ${r.reason}`);
  // Until the channel step these are all verified trusted keys (what a report should show).
  result.signers = [...verified.values()];
  result.verifiedKeyIds = [...verified.keys()];
  if (verified.size === 0) {
    if (badByTrusted) {
      return fail(refusal(SIG.INVALID, `no signature over ${stmtFile} verifies: ${rejectedText.join("; ")}`, {
        subject: stmtFile,
        hint: "The manifest or its signatures were modified after signing. Obtain the bundle again from its publisher.",
        details: { rejected: result.rejected },
      }));
    }
    return fail(refusal(SIG.UNTRUSTED, `${stmtFile} is signed only by keys that are not in the trust file ${trust.source}`, {
      subject: stmtFile,
      hint: "If the signer should be trusted, add its public key with 'zwh trust add-key --trust FILE --key PUB --name NAME'.",
      details: { rejected: result.rejected },
    }));
  }

  // 4. threshold over unique trusted keys
  if (verified.size < threshold) {
    return fail(refusal(SIG.THRESHOLD, `${verified.size} of the required ${threshold} trusted signatures verify for ${stmtFile} ` +
      `(signed by: ${[...verified.values()].map((s) => s.name).join(", ")})`, {
      subject: stmtFile,
      hint: `Have ${threshold - verified.size} more trusted signer(s) sign the manifest ('zwh bundle sign' adds a signature to ${envFile}).`,
      details: { verified: [...verified.keys()], threshold, rejected: result.rejected },
    }));
  }

  // 5. channel: known to the trust file, consistent with the statement, and allowed per key
  if (!trust.doc.channels.includes(channel)) {
    return fail(refusal(SIG.CHANNEL, `channel '${channel}' is not allowed by trust file ${trust.source} (allowed: ${trust.doc.channels.join(", ")})`, {
      subject: channel,
      hint: "Deploy a bundle built for an allowed channel, or add the channel to the trust file.",
    }));
  }
  const own = statementChannel(statementBytes);
  if (own !== undefined && own !== channel) {
    return fail(refusal(SIG.CHANNEL, `${stmtFile} was signed for channel '${own}', not '${channel}'`, {
      subject: stmtFile,
      hint: `Use --channel ${own}, or get a bundle built for '${channel}'.`,
    }));
  }
  const allowed = new Set(keysForChannel(trust, channel).map((k) => k.keyid));
  const counted = [...verified.values()].filter((s) => allowed.has(s.keyid));
  const excluded = [...verified.values()].filter((s) => !allowed.has(s.keyid));
  result.signers = counted;
  result.verifiedKeyIds = counted.map((s) => s.keyid);
  if (counted.length < threshold) {
    return fail(refusal(SIG.CHANNEL, `only ${counted.length} of the required ${threshold} signers may sign channel '${channel}'; ` +
      `not allowed for it: ${excluded.map((s) => `${s.name} (${s.keyid})`).join(", ")}`, {
      subject: channel,
      hint: "These keys are restricted to other channels in the trust file. Have a signer allowed for this channel sign, or deploy to the key's channel.",
      details: { counted: result.verifiedKeyIds, excluded: excluded.map((s) => s.keyid), threshold },
    }));
  }
  result.thresholdMet = true;
  return result;
}

/** New DSSE envelope (in-toto payload type) over the exact statement bytes, signed once. */
export function signStatement(statementBytes: Buffer, privateKey: crypto.KeyObject): DsseEnvelope {
  return signEnvelope(statementBytes, privateKey, INTOTO_PAYLOAD_TYPE);
}

/** Co-sign: a copy of the envelope with one more signature (refuses a key that already signed). */
export function addSignature(envelope: DsseEnvelope | string | Buffer, privateKey: crypto.KeyObject): DsseEnvelope {
  return dsseAddSignature(parseEnvelope(envelope), privateKey);
}

/** Armoured SSHSIG over the statement, in the trust file's namespace (default zos-wheelhouse-bundle). */
export function signStatementSsh(statementBytes: Buffer, privateKey: crypto.KeyObject, namespace?: string): string {
  return signSshsig(statementBytes, privateKey, namespace);
}
