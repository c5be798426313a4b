/**
 * Host-key fingerprints and pinned-key parsing.
 *
 * An SSH public key "blob" is the wire encoding (string keytype, then key-specific fields) that
 * OpenSSH base64-encodes in known_hosts and authorized_keys. Its OpenSSH fingerprint is
 * "SHA256:" + unpadded base64 of sha256(blob), exactly what `ssh-keygen -lf` prints.
 */
import { createHash } from "crypto";
import { ZwhError } from "../core/errors";

export function sha256Fingerprint(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The key type name stored at the start of a key blob ("ssh-ed25519", "ecdsa-sha2-nistp256", ...). */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > blob.length) return undefined;
  const t = blob.subarray(4, 4 + len).toString("latin1");
  return /^[A-Za-z0-9@._-]+$/.test(t) ? t : undefined;
}

/**
 * ssh2 `algorithms.serverHostKey` values that can present a key of this type. An RSA key may be
 * presented with any of the three RSA signature algorithms.
 */
export function hostKeyAlgorithmsFor(keyType: string): string[] {
  if (keyType === "ssh-rsa") return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  return [keyType];
}

export type PinnedHostKey =
  | { kind: "fingerprint"; fingerprint: string }
  | { kind: "blob"; fingerprint: string; blob: Buffer; keyType: string };

const FP_RE = /^SHA256:([A-Za-z0-9+/]{43})=?$/;

/**
 * Parse a pinned host key: "SHA256:<43 base64 chars>", a base64 key blob, or
 * "<keytype> <base64> [comment]" as in a known_hosts / .pub line or a Zowe ssh profile.
 */
export function parsePinnedHostKey(text: string): PinnedHostKey {
  const s = text.trim();
  const fp = FP_RE.exec(s);
  if (fp) return { kind: "fingerprint", fingerprint: "SHA256:" + fp[1] };
  if (/^SHA256:/i.test(s) || /^MD5:/i.test(s)) {
    throw new ZwhError("ZWH-SSH-HOSTKEY-PIN", "the pinned host key fingerprint is malformed", {
      subject: s,
      hint: "Give the SHA256 fingerprint exactly as 'ssh-keygen -lf' prints it: SHA256: followed by 43 base64 characters.",
    });
  }
  const parts = s.split(/\s+/);
  let b64 = parts[0];
  let declaredType: string | undefined;
  if (parts.length >= 2) {
    declaredType = parts[0];
    b64 = parts[1];
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64 ?? "")) {
    throw new ZwhError("ZWH-SSH-HOSTKEY-PIN", "the pinned host key is neither a SHA256 fingerprint nor a base64 key", {
      subject: s.length > 80 ? s.slice(0, 80) + "..." : s,
      hint: "Use --host-key SHA256:... (from 'ssh-keygen -lf') or the base64 key from 'ssh-keyscan'.",
    });
  }
  const blob = Buffer.from(b64, "base64");
  const keyType = keyTypeOfBlob(blob);
  if (!keyType || (declaredType !== undefined && declaredType !== keyType)) {
    throw new ZwhError("ZWH-SSH-HOSTKEY-PIN", "the pinned host key blob is not a valid SSH public key", {
      subject: declaredType ?? b64.slice(0, 40),
      hint: "Copy the key type and base64 fields of a 'ssh-keyscan' line, or pin the SHA256 fingerprint instead.",
    });
  }
  return { kind: "blob", fingerprint: sha256Fingerprint(blob), blob, keyType };
}
