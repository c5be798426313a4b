/**
 * `bundle sign`: add a signature over the exact statement bytes. DSSE (default) appends a
 * signature to manifest.dsse.json (creating it), so several signers give t-of-n; --ssh appends
 * an SSHSIG block to manifest.intoto.json.sig. Before signing, the subjects are checked against
 * the files, so a signer never vouches for a bundle whose files were changed after creation.
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import { refusal } from "../core/errors";
import { addStatementSignature, keyIdOf, parseEnvelope, signStatement, signStatementSsh, SIG, BUNDLE_SSH_NAMESPACE, INTOTO_PAYLOAD_TYPE, decodeBase64Any } from "./signing";
import { writeFileAtomic } from "../io/atomic-write";
import { BUNDLE } from "./codes";
import { bundleIoError, readOptional, readStatementFile } from "./files";
import { envelopeBytes } from "./create";
import { sha256File } from "./checks";
import { DSSE_FILE, SSHSIG_FILE, STATEMENT_FILE, parseStatement } from "./statement";

export interface SignBundleOptions {
  key: crypto.KeyObject;
  /** Write an SSHSIG (manifest.intoto.json.sig) instead of a DSSE signature. */
  ssh?: boolean;
  /** SSHSIG namespace (default zos-wheelhouse-bundle). */
  namespace?: string;
}

export interface SignedBundle {
  dir: string;
  keyid: string;
  file: string;
  carrier: "dsse" | "sshsig";
  /** Signatures now in that file. */
  signatures: number;
}

function writeAtomic(file: string, data: Buffer): void {
  try {
    writeFileAtomic(file, data);
  } catch (e) {
    throw bundleIoError(`cannot write ${file}`, file, e);
  }
}

export async function signBundle(dirArg: string, o: SignBundleOptions): Promise<SignedBundle> {
  const dir = path.resolve(dirArg);
  const statementBytes = readStatementFile(dir);
  const statement = parseStatement(statementBytes);
  for (const s of statement.subject) {
    let h;
    try {
      h = await sha256File(path.join(dir, s.name));
    } catch {
      throw refusal(BUNDLE.SUBJECT_MISSING, `${s.name} is listed in the statement but missing from the bundle; refusing to sign`, { subject: s.name });
    }
    if (h.sha256 !== s.digest.sha256) {
      throw refusal(BUNDLE.SUBJECT_MISMATCH, `${s.name} no longer matches its digest in the statement; refusing to sign`, {
        subject: s.name, hint: "The bundle was modified after it was created. Rebuild it with 'zwh bundle create'.",
      });
    }
  }
  const keyid = keyIdOf(o.key);
  if (o.ssh) {
    const file = path.join(dir, SSHSIG_FILE);
    const existing = readOptional(file)?.toString("utf8") ?? "";
    const sig = signStatementSsh(statementBytes, o.key, o.namespace ?? BUNDLE_SSH_NAMESPACE);
    const text = (existing && !existing.endsWith("\n") ? existing + "\n" : existing) + sig + (sig.endsWith("\n") ? "" : "\n");
    writeAtomic(file, Buffer.from(text, "utf8"));
    return { dir, keyid, file, carrier: "sshsig", signatures: (text.match(/-----BEGIN SSH SIGNATURE-----/g) ?? []).length };
  }
  const file = path.join(dir, DSSE_FILE);
  const currentBytes = readOptional(file);
  let env;
  if (currentBytes) {
    const current = parseEnvelope(currentBytes, DSSE_FILE);
    if (current.payloadType !== INTOTO_PAYLOAD_TYPE || !decodeBase64Any(current.payload, `${DSSE_FILE} payload`).equals(statementBytes)) {
      throw refusal(SIG.INVALID, `${DSSE_FILE} does not carry the exact bytes of ${STATEMENT_FILE}; refusing to add a signature`, {
        subject: DSSE_FILE, hint: "The manifest was changed after the first signature. Rebuild the bundle, or remove the stale envelope and sign again.",
      });
    }
    env = addStatementSignature(current, o.key);
  } else {
    env = signStatement(statementBytes, o.key);
  }
  writeAtomic(file, envelopeBytes(env));
  return { dir, keyid, file, carrier: "dsse", signatures: env.signatures.length };
}
