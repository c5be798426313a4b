/**
 * Stable error codes of the signing layer. Scripts, docs and the on-target verifier
 * (src/remote/helpers/dsse_verify.py) use the same strings, so they never change meaning.
 *
 * SIG-* are refusals of a bundle's signatures (exit 3); KEY-* and TRUST-* are problems with key
 * or trust files the operator has to fix (exit 1).
 */
export const SIG = {
  /** No signature carrier at all (no DSSE envelope, no SSHSIG). */
  MISSING: "ZWH-SIG-MISSING",
  /** Malformed envelope/signature, payload not byte-identical to the statement, or a bad signature. */
  INVALID: "ZWH-SIG-INVALID",
  /** Signatures are present and well-formed, but none is by a key in the trust file. */
  UNTRUSTED: "ZWH-SIG-UNTRUSTED",
  /** Fewer unique trusted keys verified than the trust file's threshold. */
  THRESHOLD: "ZWH-SIG-THRESHOLD",
  /** The bundle's channel is not in the trust file, or too few signers may sign for it. */
  CHANNEL: "ZWH-SIG-CHANNEL",
  /** The statement's `expires` is in the past (freeze protection). */
  EXPIRED: "ZWH-SIG-EXPIRED",
  /** The statement's `sequence` is lower than the accepted one for its (trust root, channel). */
  ROLLBACK: "ZWH-SEQ-ROLLBACK",
  /** Same sequence as the accepted one, but a different statement. */
  REPLAY: "ZWH-SEQ-REPLAY",
} as const;

export const KEY = {
  /** Key file already exists and --force was not given. */
  EXISTS: "ZWH-KEY-EXISTS",
  /** Key file cannot be read. */
  READ: "ZWH-KEY-READ",
  /** Key text is not a recognised format (PEM SPKI/PKCS#8, OpenSSH). */
  FORMAT: "ZWH-KEY-FORMAT",
  /** Key algorithm is not one Wheelhouse signs or verifies with. */
  UNSUPPORTED: "ZWH-KEY-UNSUPPORTED",
  /** Key is encrypted and no (or a wrong) passphrase was given. */
  ENCRYPTED: "ZWH-KEY-ENCRYPTED",
  /** A private key was given where a public key is expected. */
  PRIVATE: "ZWH-KEY-PRIVATE",
  /** Key files could not be written. */
  WRITE: "ZWH-KEY-WRITE",
  /** This key has already signed the envelope. */
  ALREADY_SIGNED: "ZWH-KEY-ALREADY-SIGNED",
  /** Bad command-line input for a key command. */
  USAGE: "ZWH-KEY-USAGE",
} as const;

export const TRUST = {
  /** The trust file cannot be read or is not JSON. */
  READ: "ZWH-TRUST-READ",
  /** formatVersion is missing or not one this version understands. */
  FORMAT: "ZWH-TRUST-FORMAT",
  /** A field has the wrong type or value. */
  INVALID: "ZWH-TRUST-INVALID",
  /** threshold < 1, or larger than the keys that could ever sign a channel. */
  THRESHOLD: "ZWH-TRUST-THRESHOLD",
  /** The same key (key id) is listed twice. */
  DUPLICATE_KEY: "ZWH-TRUST-DUPLICATE-KEY",
  /** The same signer name is listed twice. */
  DUPLICATE_NAME: "ZWH-TRUST-DUPLICATE-NAME",
  /** The stored keyid does not match the public key. */
  KEYID_MISMATCH: "ZWH-TRUST-KEYID-MISMATCH",
  /** A key's channel is not one of the trust file's channels, or a channel name is invalid. */
  CHANNEL: "ZWH-TRUST-CHANNEL",
  /** The trust file exists and --force was not given. */
  EXISTS: "ZWH-TRUST-EXISTS",
  /** The trust file could not be written. */
  WRITE: "ZWH-TRUST-WRITE",
  /** The rollback state file is unreadable or malformed. */
  STATE: "ZWH-TRUST-STATE",
} as const;
