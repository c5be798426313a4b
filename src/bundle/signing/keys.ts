/**
 * Signing keys: generation, loading and the key id.
 *
 * Key id: "sha256:" + lowercase hex of SHA-256 over the key's canonical SubjectPublicKeyInfo
 * DER (RFC 5280). Canonical means: Ed25519 as RFC 8410 (no parameters), P-256 as
 * id-ecPublicKey + prime256v1 with the UNCOMPRESSED point, RSA as rsaEncryption with NULL
 * parameters. It is the same id whether the key arrives as PEM or as an OpenSSH line, and the
 * on-target Python verifier computes it the same way, so one id names a key everywhere.
 *
 * File formats written by `zwh keys generate`:
 * - PREFIX.key: PKCS#8 PEM ("BEGIN PRIVATE KEY", or "BEGIN ENCRYPTED PRIVATE KEY" with a
 *   passphrase), mode 0600, never printed.
 * - PREFIX.pub: SPKI PEM ("BEGIN PUBLIC KEY"), mode 0644.
 * Public keys are read from SPKI PEM or an OpenSSH line ("ssh-ed25519 AAAA... comment",
 * "ecdsa-sha2-nistp256 ...", "rsa-sha2-*"/"ssh-rsa" for SSHSIG only). Private keys are read
 * from PKCS#8 PEM (optionally encrypted) or unencrypted OpenSSH "openssh-key-v1" files
 * (ed25519, ecdsa-sha2-nistp256).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ZwhError } from "../../core/errors";
import { KEY } from "./codes";
import { SshReader, padTo, sshString } from "./ssh-wire";
import { INPUT_LIMITS, readInputFile } from "../../io/input-file";

export type KeyType = "ed25519" | "ecdsa-p256" | "rsa";
/** Algorithms Wheelhouse generates keys for and signs DSSE envelopes with. */
export type SigningKeyType = "ed25519" | "ecdsa-p256";
export const SIGNING_KEY_TYPES: readonly SigningKeyType[] = ["ed25519", "ecdsa-p256"];

// Fixed DER prefixes of the canonical SPKI encodings. Everything after them is the raw key.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const P256_SPKI_PREFIX = Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex");

function b64url(b: Buffer): string {
  return b.toString("base64url");
}

function fromB64url(s: string | undefined, what: string): Buffer {
  if (typeof s !== "string") throw new ZwhError(KEY.FORMAT, `${what} is missing from the key`);
  return Buffer.from(s, "base64url");
}

/** The public half of a key (a public key as it is). */
function publicOf(key: crypto.KeyObject): crypto.KeyObject {
  return key.type === "private" ? crypto.createPublicKey(key) : key;
}

/** Which of our algorithms a key object is; anything else is refused. */
export function keyTypeOf(key: crypto.KeyObject, subject?: string): KeyType {
  const t = key.asymmetricKeyType;
  if (t === "ed25519") return "ed25519";
  if (t === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1" || curve === "P-256") return "ecdsa-p256";
    throw new ZwhError(KEY.UNSUPPORTED, `EC key on curve ${curve ?? "unknown"} is not supported`, {
      subject,
      hint: "Use an Ed25519 or ECDSA P-256 (prime256v1 / nistp256) key.",
    });
  }
  if (t === "rsa") return "rsa";
  throw new ZwhError(KEY.UNSUPPORTED, `key type ${t ?? "unknown"} is not supported`, {
    subject,
    hint: "Use an Ed25519 or ECDSA P-256 key (zwh keys generate --type ed25519).",
  });
}

/** Uncompressed P-256 point 04||X||Y of a public or private key. */
function p256Point(key: crypto.KeyObject): Buffer {
  const pub = publicOf(key);
  const jwk = pub.export({ format: "jwk" });
  const x = padTo(fromB64url(jwk.x, "x"), 32, "P-256 x", KEY.FORMAT);
  const y = padTo(fromB64url(jwk.y, "y"), 32, "P-256 y", KEY.FORMAT);
  return Buffer.concat([Buffer.from([4]), x, y]);
}

function ed25519Raw(key: crypto.KeyObject): Buffer {
  const pub = publicOf(key);
  const raw = fromB64url(pub.export({ format: "jwk" }).x, "x");
  if (raw.length !== 32) throw new ZwhError(KEY.FORMAT, "Ed25519 public key is not 32 bytes");
  return raw;
}

/** The canonical SPKI DER the key id is computed over (see the file comment). */
export function canonicalSpkiDer(key: crypto.KeyObject): Buffer {
  const pub = publicOf(key);
  switch (keyTypeOf(pub)) {
    case "ed25519":
      return Buffer.concat([ED25519_SPKI_PREFIX, ed25519Raw(pub)]);
    case "ecdsa-p256":
      // Built by hand so a compressed-point input cannot give the same key a second id.
      return Buffer.concat([P256_SPKI_PREFIX, p256Point(pub)]);
    case "rsa":
      return pub.export({ type: "spki", format: "der" });
  }
}

/** "sha256:" + hex SHA-256 of the canonical SPKI DER. */
export function keyIdOf(key: crypto.KeyObject): string {
  return "sha256:" + crypto.createHash("sha256").update(canonicalSpkiDer(key)).digest("hex");
}

export function publicKeyPem(key: crypto.KeyObject): string {
  const pub = publicOf(key);
  return crypto.createPublicKey({ key: canonicalSpkiDer(pub), format: "der", type: "spki" })
    .export({ type: "spki", format: "pem" })
    .toString();
}

// ---------------------------------------------------------------------------------------------
// OpenSSH public key blobs and lines

/** The SSH wire blob of a public key ("ssh-ed25519" / "ecdsa-sha2-nistp256" / "ssh-rsa"). */
export function sshPublicKeyBlob(key: crypto.KeyObject): Buffer {
  const pub = publicOf(key);
  switch (keyTypeOf(pub)) {
    case "ed25519":
      return Buffer.concat([sshString("ssh-ed25519"), sshString(ed25519Raw(pub))]);
    case "ecdsa-p256":
      return Buffer.concat([sshString("ecdsa-sha2-nistp256"), sshString("nistp256"), sshString(p256Point(pub))]);
    case "rsa": {
      const jwk = pub.export({ format: "jwk" });
      const mp = (b: Buffer) => sshString(b.length > 0 && b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
      return Buffer.concat([sshString("ssh-rsa"), mp(fromB64url(jwk.e, "e")), mp(fromB64url(jwk.n, "n"))]);
    }
  }
}

/** One authorized_keys / allowed_signers style line: "ssh-ed25519 AAAA... comment". */
export function toOpenSshPublicKey(key: crypto.KeyObject, comment?: string): string {
  const blob = sshPublicKeyBlob(key);
  const alg = new SshReader(blob, "OpenSSH public key", KEY.FORMAT).text();
  return `${alg} ${blob.toString("base64")}${comment ? " " + comment : ""}`;
}

/** Decode an SSH public key blob into a KeyObject. */
export function publicKeyFromSshBlob(blob: Buffer, subject = "OpenSSH public key"): crypto.KeyObject {
  const r = new SshReader(blob, subject, KEY.FORMAT);
  const alg = r.text();
  let jwk: crypto.JsonWebKey;
  if (alg === "ssh-ed25519") {
    const raw = r.string();
    if (raw.length !== 32) throw new ZwhError(KEY.FORMAT, `${subject}: Ed25519 key is not 32 bytes`, { subject });
    jwk = { kty: "OKP", crv: "Ed25519", x: b64url(raw) };
  } else if (alg === "ecdsa-sha2-nistp256") {
    const curve = r.text();
    const q = r.string();
    if (curve !== "nistp256" || q.length !== 65 || q[0] !== 4) {
      throw new ZwhError(KEY.FORMAT, `${subject}: not an uncompressed nistp256 point`, { subject });
    }
    jwk = { kty: "EC", crv: "P-256", x: b64url(q.subarray(1, 33)), y: b64url(q.subarray(33)) };
  } else if (alg === "ssh-rsa") {
    const e = r.mpintUnsigned();
    const n = r.mpintUnsigned();
    if (n.length * 8 < 2048) {
      throw new ZwhError(KEY.UNSUPPORTED, `${subject}: RSA keys shorter than 2048 bits are refused`, { subject });
    }
    jwk = { kty: "RSA", n: b64url(n), e: b64url(e) };
  } else {
    throw new ZwhError(KEY.UNSUPPORTED, `${subject}: SSH key type ${alg} is not supported`, {
      subject,
      hint: "Use ssh-ed25519 or ecdsa-sha2-nistp256 keys (RSA only for SSHSIG).",
    });
  }
  r.end();
  try {
    // Node validates the point is on the curve here.
    return crypto.createPublicKey({ key: jwk, format: "jwk" });
  } catch (e) {
    throw new ZwhError(KEY.FORMAT, `${subject}: invalid ${alg} key (${(e as Error).message})`, { subject, cause: e });
  }
}

const SSH_LINE_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"];

/** True when the text looks like an OpenSSH public key line rather than PEM. */
export function isOpenSshPublicKeyLine(text: string): boolean {
  const first = text.trim().split(/\s+/)[0] ?? "";
  return SSH_LINE_TYPES.includes(first);
}

/** Parse "TYPE BASE64 [comment]" and check the type inside the blob matches the prefix. */
export function parseOpenSshPublicKeyLine(line: string, subject = "OpenSSH public key"): { key: crypto.KeyObject; comment: string } {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2 || !SSH_LINE_TYPES.includes(parts[0])) {
    throw new ZwhError(KEY.FORMAT, `${subject}: not an OpenSSH public key line`, {
      subject,
      hint: "Expected 'ssh-ed25519 AAAA...' or 'ecdsa-sha2-nistp256 AAAA...' (the contents of a .pub file).",
    });
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(parts[1])) {
    throw new ZwhError(KEY.FORMAT, `${subject}: the key is not base64`, { subject });
  }
  const blob = Buffer.from(parts[1], "base64");
  const inner = new SshReader(blob, subject, KEY.FORMAT).text();
  if (inner !== parts[0]) {
    throw new ZwhError(KEY.FORMAT, `${subject}: line says ${parts[0]} but the key is ${inner}`, { subject });
  }
  return { key: publicKeyFromSshBlob(blob, subject), comment: parts.slice(2).join(" ") };
}

// ---------------------------------------------------------------------------------------------
// Loading

function readKeyFile(file: string): Buffer {
  return readInputFile(file, {
    what: "key file",
    maxBytes: INPUT_LIMITS.small,
    ioError: (e) => new ZwhError(KEY.READ, `cannot read key file ${file}: ${e.code ?? e.message}`, { subject: file, hint: "Check the path and its permissions.", cause: e }),
  });
}

/**
 * Parse a public key from SPKI PEM or an OpenSSH line. A private key is refused, so a
 * mistyped path never puts private material into a trust file.
 */
export function parsePublicKey(text: string | Buffer, subject = "public key"): crypto.KeyObject {
  const s = (typeof text === "string" ? text : text.toString("utf8")).trim();
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s)) {
    throw new ZwhError(KEY.PRIVATE, `${subject} is a private key; a public key is expected`, {
      subject,
      hint: "Pass the .pub file written next to the private key, and keep the private key secret.",
    });
  }
  let key: crypto.KeyObject;
  if (isOpenSshPublicKeyLine(s)) {
    key = parseOpenSshPublicKeyLine(s.split(/\r?\n/)[0], subject).key;
  } else if (s.includes("-----BEGIN PUBLIC KEY-----")) {
    try {
      key = crypto.createPublicKey({ key: s, format: "pem" });
    } catch (e) {
      throw new ZwhError(KEY.FORMAT, `${subject}: invalid PEM public key (${(e as Error).message})`, { subject, cause: e });
    }
  } else {
    throw new ZwhError(KEY.FORMAT, `${subject} is neither an SPKI PEM public key nor an OpenSSH public key line`, {
      subject,
      hint: "Use the PREFIX.pub written by 'zwh keys generate' or an OpenSSH .pub file (ssh-ed25519 / ecdsa-sha2-nistp256).",
    });
  }
  keyTypeOf(key, subject);
  return key;
}

export function loadPublicKey(file: string): crypto.KeyObject {
  return parsePublicKey(readKeyFile(file), file);
}

export interface PrivateKeyOptions {
  /** Passphrase of an encrypted PKCS#8 PEM. */
  passphrase?: string;
  subject?: string;
}

/** Unencrypted "openssh-key-v1" (PROTOCOL.key) holding one ed25519 or nistp256 key. */
function parseOpenSshPrivateKey(pem: string, subject: string): crypto.KeyObject {
  const body = pem
    .replace(/-----BEGIN OPENSSH PRIVATE KEY-----/, "")
    .replace(/-----END OPENSSH PRIVATE KEY-----/, "")
    .replace(/\s+/g, "");
  const buf = Buffer.from(body, "base64");
  const magic = Buffer.from("openssh-key-v1\0", "latin1");
  if (!buf.subarray(0, magic.length).equals(magic)) {
    throw new ZwhError(KEY.FORMAT, `${subject}: not an openssh-key-v1 private key`, { subject });
  }
  const r = new SshReader(buf.subarray(magic.length), subject, KEY.FORMAT);
  const cipher = r.text();
  r.text(); // kdfname
  r.string(); // kdfoptions
  if (cipher !== "none") {
    throw new ZwhError(KEY.ENCRYPTED, `${subject} is a passphrase-protected OpenSSH key, which zwh cannot decrypt`, {
      subject,
      hint: "Sign with 'ssh-keygen -Y sign -n zos-wheelhouse-bundle' (SSHSIG) instead, or use a key from 'zwh keys generate'.",
    });
  }
  if (r.uint32() !== 1) throw new ZwhError(KEY.FORMAT, `${subject}: files with several keys are not supported`, { subject });
  r.string(); // public key blob, repeated inside the private section
  const priv = new SshReader(r.string(), subject, KEY.FORMAT);
  if (priv.uint32() !== priv.uint32()) {
    throw new ZwhError(KEY.FORMAT, `${subject}: check bytes differ (corrupt file)`, { subject });
  }
  const alg = priv.text();
  let jwk: crypto.JsonWebKey;
  if (alg === "ssh-ed25519") {
    const pub = priv.string();
    const sk = priv.string(); // seed(32) || public(32)
    if (pub.length !== 32 || sk.length !== 64) throw new ZwhError(KEY.FORMAT, `${subject}: bad Ed25519 key lengths`, { subject });
    jwk = { kty: "OKP", crv: "Ed25519", x: b64url(pub), d: b64url(sk.subarray(0, 32)) };
  } else if (alg === "ecdsa-sha2-nistp256") {
    if (priv.text() !== "nistp256") throw new ZwhError(KEY.FORMAT, `${subject}: curve mismatch`, { subject });
    const q = priv.string();
    const d = padTo(priv.mpintUnsigned(), 32, `${subject} private scalar`, KEY.FORMAT);
    if (q.length !== 65 || q[0] !== 4) throw new ZwhError(KEY.FORMAT, `${subject}: bad nistp256 point`, { subject });
    jwk = { kty: "EC", crv: "P-256", x: b64url(q.subarray(1, 33)), y: b64url(q.subarray(33)), d: b64url(d) };
  } else {
    throw new ZwhError(KEY.UNSUPPORTED, `${subject}: OpenSSH private key type ${alg} is not supported for signing`, {
      subject,
      hint: "Use an ssh-ed25519 or ecdsa-sha2-nistp256 key.",
    });
  }
  try {
    return crypto.createPrivateKey({ key: jwk, format: "jwk" });
  } catch (e) {
    throw new ZwhError(KEY.FORMAT, `${subject}: invalid ${alg} private key (${(e as Error).message})`, { subject, cause: e });
  }
}

export function parsePrivateKey(text: string | Buffer, opts: PrivateKeyOptions = {}): crypto.KeyObject {
  const subject = opts.subject ?? "private key";
  const s = typeof text === "string" ? text : text.toString("utf8");
  let key: crypto.KeyObject;
  if (s.includes("-----BEGIN OPENSSH PRIVATE KEY-----")) {
    key = parseOpenSshPrivateKey(s, subject);
  } else if (s.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----") || s.includes("-----BEGIN PRIVATE KEY-----")) {
    const encrypted = s.includes("ENCRYPTED PRIVATE KEY");
    if (encrypted && opts.passphrase === undefined) {
      throw new ZwhError(KEY.ENCRYPTED, `${subject} is encrypted and no passphrase was given`, {
        subject,
        hint: "Pass --passphrase-env NAME with an environment variable holding the passphrase.",
      });
    }
    try {
      key = crypto.createPrivateKey({ key: s, format: "pem", passphrase: opts.passphrase });
    } catch (e) {
      throw new ZwhError(encrypted ? KEY.ENCRYPTED : KEY.FORMAT,
        encrypted ? `cannot decrypt ${subject}: wrong passphrase or damaged file` : `${subject}: invalid PKCS#8 PEM`, {
          subject,
          cause: e,
        });
    }
  } else {
    throw new ZwhError(KEY.FORMAT, `${subject} is not a PKCS#8 PEM or OpenSSH private key`, {
      subject,
      hint: "Use the PREFIX.key written by 'zwh keys generate' (PKCS#8 PEM).",
    });
  }
  keyTypeOf(key, subject);
  return key;
}

export function loadPrivateKey(file: string, opts: Omit<PrivateKeyOptions, "subject"> = {}): crypto.KeyObject {
  return parsePrivateKey(readKeyFile(file), { ...opts, subject: file });
}

// ---------------------------------------------------------------------------------------------
// Generation

export interface GeneratedKeyPair {
  type: SigningKeyType;
  keyid: string;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
}

export function generateSigningKeyPair(type: SigningKeyType): GeneratedKeyPair {
  let pair: crypto.KeyPairKeyObjectResult;
  if (type === "ed25519") pair = crypto.generateKeyPairSync("ed25519");
  else if (type === "ecdsa-p256") pair = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  else {
    throw new ZwhError(KEY.UNSUPPORTED, `cannot generate keys of type ${String(type)}`, {
      hint: `Use one of: ${SIGNING_KEY_TYPES.join(", ")}.`,
    });
  }
  return { type, keyid: keyIdOf(pair.publicKey), privateKey: pair.privateKey, publicKey: pair.publicKey };
}

export interface WriteKeyPairOptions {
  type: SigningKeyType;
  /** Overwrite existing PREFIX.key / PREFIX.pub. */
  force?: boolean;
  /** Encrypt the PKCS#8 file (AES-256-CBC, PBKDF2 as chosen by OpenSSL). */
  passphrase?: string;
}

export interface WrittenKeyPair {
  type: SigningKeyType;
  keyid: string;
  privateKeyPath: string;
  publicKeyPath: string;
  publicKeyPem: string;
  /** The same public key as an OpenSSH line, for allowed_signers files. */
  publicKeyOpenSsh: string;
}

/** Create `file` (which must not exist: O_EXCL refuses a pre-planted file or symlink) as 0600. */
function createSecretFile(file: string, data: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Write the private key so it is never readable by others, not even briefly: it is created
 * 0600 (with force: in a temporary file in the same directory, renamed into place, so an existing
 * world-readable file is replaced rather than rewritten through its old mode).
 */
function writeSecretFile(file: string, data: string, force: boolean): void {
  if (!force) {
    createSecretFile(file, data);
    return;
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`);
  createSecretFile(tmp, data);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeKeyPair(prefix: string, opts: WriteKeyPairOptions): WrittenKeyPair {
  const privateKeyPath = `${prefix}.key`;
  const publicKeyPath = `${prefix}.pub`;
  if (!opts.force) {
    for (const f of [privateKeyPath, publicKeyPath]) {
      if (fs.existsSync(f)) {
        throw new ZwhError(KEY.EXISTS, `${f} already exists`, {
          subject: f,
          hint: "Choose another --out prefix, or pass --force to replace the key pair (the old key can then no longer sign).",
        });
      }
    }
  }
  const pair = generateSigningKeyPair(opts.type);
  const pem = opts.passphrase !== undefined
    ? pair.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: opts.passphrase })
    : pair.privateKey.export({ type: "pkcs8", format: "pem" });
  const pubPem = publicKeyPem(pair.publicKey);
  try {
    writeSecretFile(privateKeyPath, pem.toString(), opts.force === true);
    fs.writeFileSync(publicKeyPath, pubPem, { mode: 0o644 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ZwhError(code === "EEXIST" ? KEY.EXISTS : KEY.WRITE, `cannot write key files ${prefix}.{key,pub}: ${code ?? (e as Error).message}`, {
      subject: privateKeyPath,
      hint: code === "EEXIST" ? "Pass --force to replace the key pair." : "Check that the directory exists and is writable.",
      cause: e,
    });
  }
  return {
    type: pair.type,
    keyid: pair.keyid,
    privateKeyPath,
    publicKeyPath,
    publicKeyPem: pubPem,
    publicKeyOpenSsh: toOpenSshPublicKey(pair.publicKey),
  };
}
