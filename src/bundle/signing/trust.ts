/**
 * The trust file: which keys may sign bundles, for which channels, and how many must agree.
 *
 * JSON schema (formatVersion 1):
 * {
 *   "formatVersion": 1,
 *   "version": 3,                       // bumped on every change (rotation audit; never decreases)
 *   "threshold": 2,                     // t of t-of-n: unique trusted keys that must verify
 *   "channels": ["stable", "test"],     // channels bundles may be accepted for
 *   "sshNamespace": "zos-wheelhouse-bundle",  // required SSHSIG namespace
 *   "keys": [{
 *     "keyid": "sha256:<hex>",          // SHA-256 of canonical SPKI DER (see keys.ts); checked on load
 *     "type": "ed25519" | "ecdsa-p256" | "rsa" | "ssh",
 *                                       // algorithm; "ssh" = "whatever the OpenSSH line says"
 *     "publicKey": "-----BEGIN PUBLIC KEY-----..." | "ssh-ed25519 AAAA...",
 *     "name": "release-bot",            // unique label shown in reports
 *     "channels": ["test"],             // optional: restrict the key to these channels
 *     "addedAt": "2026-01-01T00:00:00.000Z"   // optional, informational
 *   }]
 * }
 * Unknown top-level or key fields are errors, so a typo such as "treshold" cannot silently
 * weaken verification. RSA keys can only count via SSHSIG (rsa-sha2-256/512).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ZwhError } from "../../core/errors";
import { errnoText, writeFileAtomic } from "../../io/atomic-write";
import { TRUST } from "./codes";
import { KeyType, isOpenSshPublicKeyLine, keyIdOf, keyTypeOf, parsePublicKey, publicKeyPem, toOpenSshPublicKey } from "./keys";
import { BUNDLE_SSH_NAMESPACE } from "./sshsig";
import { trustRootId } from "./sequence-state";
import { INPUT_LIMITS, readInputFile } from "../../io/input-file";

export const TRUST_FORMAT_VERSION = 1;
export type TrustKeyType = KeyType | "ssh";

export interface TrustKeyEntry {
  keyid: string;
  type: TrustKeyType;
  publicKey: string;
  name: string;
  channels?: string[];
  addedAt?: string;
}

export interface TrustDocument {
  formatVersion: 1;
  version: number;
  threshold: number;
  channels: string[];
  sshNamespace: string;
  keys: TrustKeyEntry[];
}

export interface TrustedKey {
  keyid: string;
  name: string;
  algorithm: KeyType;
  key: crypto.KeyObject;
  /** undefined = every channel of the trust file. */
  channels?: string[];
}

export interface Trust {
  doc: TrustDocument;
  keys: TrustedKey[];
  /** File path or "trust document", for messages. */
  source: string;
  /** trustRootId of the exact bytes parsed (absent when parsed from an object): the key of rollback state. */
  rootId?: string;
}

/** Channel names (trust files, bundle statements, --channel): they become state keys. */
export const CHANNEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOP_FIELDS = new Set(["formatVersion", "version", "threshold", "channels", "sshNamespace", "keys"]);
const KEY_FIELDS = new Set(["keyid", "type", "publicKey", "name", "channels", "addedAt"]);
const KEY_TYPES: readonly TrustKeyType[] = ["ed25519", "ecdsa-p256", "rsa", "ssh"];

export function defaultTrustPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZWH_TRUST ?? path.join(env.HOME ?? os.homedir(), ".zwh", "trust.json");
}

function err(code: string, msg: string, source: string, hint: string, details?: Record<string, unknown>): ZwhError {
  return new ZwhError(code, `${source}: ${msg}`, { subject: source, hint, details });
}

export function validateChannelName(c: unknown, source: string): string {
  if (typeof c !== "string" || !CHANNEL_NAME_RE.test(c)) {
    throw err(TRUST.CHANNEL, `invalid channel name ${JSON.stringify(c)}`, source,
      "Channel names are 1-64 characters: letters, digits, '.', '_' and '-', starting with a letter or digit.");
  }
  return c;
}

export interface ParseTrustOptions {
  /**
   * Also require the file to be usable for verification: every channel must have at least
   * `threshold` keys allowed to sign it. `trust show` / `add-key` load incomplete files.
   */
  requireComplete?: boolean;
}

/** Validate a trust document (object or JSON text) and load its keys. */
export function parseTrust(input: unknown, source = "trust document", opts: ParseTrustOptions = {}): Trust {
  let obj = input;
  if (typeof input === "string" || Buffer.isBuffer(input)) {
    try {
      obj = JSON.parse(Buffer.isBuffer(input) ? input.toString("utf8") : input);
    } catch (e) {
      throw err(TRUST.READ, `not valid JSON (${(e as Error).message})`, source, "Fix the JSON syntax or recreate the file with 'zwh trust init'.");
    }
  }
  const invalid = (msg: string) => err(TRUST.INVALID, msg, source, "Fix the field, or recreate the file with 'zwh trust init' and 'zwh trust add-key'.");
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw invalid("the trust file must be a JSON object");
  const o = obj as Record<string, unknown>;
  if (o.formatVersion !== TRUST_FORMAT_VERSION) {
    throw err(TRUST.FORMAT, `unknown trust file formatVersion ${JSON.stringify(o.formatVersion)} (this zwh reads ${TRUST_FORMAT_VERSION})`, source,
      "Use a Wheelhouse version that understands this trust file, or recreate it with 'zwh trust init'.");
  }
  for (const k of Object.keys(o)) if (!TOP_FIELDS.has(k)) throw invalid(`unknown field '${k}'`);
  const version = o.version ?? 1;
  if (!Number.isSafeInteger(version) || (version as number) < 1) throw invalid("version must be a positive integer");
  if (!Number.isSafeInteger(o.threshold) || (o.threshold as number) < 1) {
    throw err(TRUST.THRESHOLD, `threshold must be an integer >= 1, got ${JSON.stringify(o.threshold)}`, source,
      "Set \"threshold\" to the number of signers that must agree (1 for a single signer).");
  }
  const threshold = o.threshold as number;
  if (!Array.isArray(o.channels) || o.channels.length === 0) throw invalid("channels must be a non-empty array of channel names");
  const channels = o.channels.map((c) => validateChannelName(c, source));
  if (new Set(channels).size !== channels.length) throw invalid("channels lists a channel twice");
  const sshNamespace = o.sshNamespace ?? BUNDLE_SSH_NAMESPACE;
  if (typeof sshNamespace !== "string" || sshNamespace === "") throw invalid("sshNamespace must be a non-empty string");
  if (!Array.isArray(o.keys)) throw invalid("keys must be an array");

  const entries: TrustKeyEntry[] = [];
  const keys: TrustedKey[] = [];
  (o.keys as unknown[]).forEach((raw, i) => {
    const where = `keys[${i}]`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalid(`${where} must be an object`);
    const k = raw as Record<string, unknown>;
    for (const f of Object.keys(k)) if (!KEY_FIELDS.has(f)) throw invalid(`${where}: unknown field '${f}'`);
    if (typeof k.name !== "string" || k.name.trim() === "") throw invalid(`${where}: name is missing`);
    const name = k.name;
    const subj = `${where} (${name})`;
    if (typeof k.type !== "string" || !KEY_TYPES.includes(k.type as TrustKeyType)) {
      throw err(TRUST.FORMAT, `${subj}: unknown key type ${JSON.stringify(k.type)}`, source, `Use one of: ${KEY_TYPES.join(", ")}.`);
    }
    if (typeof k.publicKey !== "string") throw invalid(`${subj}: publicKey is missing`);
    let key: crypto.KeyObject;
    try {
      key = parsePublicKey(k.publicKey, `${source} ${subj}`);
    } catch (e) {
      const ze = e as ZwhError;
      throw err(TRUST.FORMAT, `${subj}: ${ze.message}`, source, "publicKey must be an SPKI PEM or an OpenSSH public key line.");
    }
    const algorithm = keyTypeOf(key);
    const type = k.type as TrustKeyType;
    if (type === "ssh" ? !isOpenSshPublicKeyLine(k.publicKey) : type !== algorithm) {
      throw err(TRUST.FORMAT, `${subj}: type "${type}" does not match the key, which is ${algorithm}${type === "ssh" ? " in PEM form" : ""}`, source,
        `Set "type" to "${algorithm}".`);
    }
    const keyid = keyIdOf(key);
    if (k.keyid !== keyid) {
      throw err(TRUST.KEYID_MISMATCH, `${subj}: keyid ${JSON.stringify(k.keyid)} does not match the public key (${keyid})`, source,
        "The file was edited by hand; re-add the key with 'zwh trust add-key' so the id is computed.");
    }
    let keyChannels: string[] | undefined;
    if (k.channels !== undefined) {
      if (!Array.isArray(k.channels) || k.channels.length === 0) throw invalid(`${subj}: channels must be a non-empty array when present`);
      keyChannels = k.channels.map((c) => validateChannelName(c, source));
      for (const c of keyChannels) {
        if (!channels.includes(c)) {
          throw err(TRUST.CHANNEL, `${subj}: channel '${c}' is not one of the trust file's channels (${channels.join(", ")})`, source,
            "Add the channel to the top-level \"channels\" list, or remove it from the key.");
        }
      }
    }
    if (keys.some((x) => x.keyid === keyid)) {
      throw err(TRUST.DUPLICATE_KEY, `${subj}: key ${keyid} is listed twice`, source, "Remove the duplicate entry; a key counts once toward the threshold.");
    }
    if (keys.some((x) => x.name === name)) {
      throw err(TRUST.DUPLICATE_NAME, `${subj}: name '${name}' is used twice`, source, "Give each signer a unique name.");
    }
    if (k.addedAt !== undefined && typeof k.addedAt !== "string") throw invalid(`${subj}: addedAt must be a string`);
    entries.push({ keyid, type, publicKey: k.publicKey, name, ...(keyChannels ? { channels: keyChannels } : {}),
      ...(k.addedAt !== undefined ? { addedAt: k.addedAt as string } : {}) });
    keys.push({ keyid, name, algorithm, key, ...(keyChannels ? { channels: keyChannels } : {}) });
  });

  const doc: TrustDocument = { formatVersion: 1, version: version as number, threshold, channels, sshNamespace, keys: entries };
  const trust: Trust = { doc, keys, source };
  if (typeof input === "string" || Buffer.isBuffer(input)) trust.rootId = trustRootId(Buffer.isBuffer(input) ? input : Buffer.from(input, "utf8"));
  if (opts.requireComplete) {
    const problems = trustProblems(trust);
    if (problems.length > 0) {
      throw err(TRUST.THRESHOLD, problems.join("; "), source,
        "Add keys with 'zwh trust add-key' or lower \"threshold\" so every channel can reach it.", { problems });
    }
  }
  return trust;
}

export function loadTrust(file: string, opts: ParseTrustOptions = {}): Trust {
  const text = readInputFile(file, {
    what: "trust file",
    maxBytes: INPUT_LIMITS.small,
    ioError: (e) =>
      new ZwhError(TRUST.READ, `cannot read trust file ${file}: ${e.code ?? e.message}`, {
        subject: file,
        hint: e.code === "ENOENT" ? "Create it with 'zwh trust init --out FILE' and add keys with 'zwh trust add-key'." : "Check the path and its permissions.",
        cause: e,
      }),
  });
  return parseTrust(text, file, opts);
}

/** Keys allowed to sign bundles of a channel (none if the channel is not in the trust file). */
export function keysForChannel(trust: Trust, channel: string): TrustedKey[] {
  if (!trust.doc.channels.includes(channel)) return [];
  return trust.keys.filter((k) => k.channels === undefined || k.channels.includes(channel));
}

/** Why the trust file cannot (yet) verify some channel; empty when it is usable. */
export function trustProblems(trust: Trust): string[] {
  const out: string[] = [];
  for (const c of trust.doc.channels) {
    const n = keysForChannel(trust, c).length;
    if (n < trust.doc.threshold) out.push(`channel '${c}' has ${n} key(s) allowed to sign but threshold is ${trust.doc.threshold}`);
  }
  return out;
}

export interface CreateTrustOptions {
  threshold?: number;
  channels?: string[];
  sshNamespace?: string;
}

export function createTrust(opts: CreateTrustOptions = {}): TrustDocument {
  const doc: TrustDocument = {
    formatVersion: 1,
    version: 1,
    threshold: opts.threshold ?? 1,
    channels: opts.channels && opts.channels.length > 0 ? [...opts.channels] : ["stable"],
    sshNamespace: opts.sshNamespace ?? BUNDLE_SSH_NAMESPACE,
    keys: [],
  };
  parseTrust(doc, "new trust file"); // same validation as on load
  return doc;
}

export interface AddKeyOptions {
  /** PEM or OpenSSH line. */
  publicKey: string;
  name: string;
  channels?: string[];
  /** Timestamp for addedAt (tests pass a fixed one). */
  now?: Date;
  /** Where the key came from (file name), for messages. */
  subject?: string;
}

/** Return a new document with the key added (validated as a whole, version bumped). */
export function addTrustKey(doc: TrustDocument, opts: AddKeyOptions, source = "trust document"): { doc: TrustDocument; key: TrustKeyEntry } {
  const key = parsePublicKey(opts.publicKey, opts.subject ?? "key to add");
  const algorithm = keyTypeOf(key);
  const ssh = isOpenSshPublicKeyLine(opts.publicKey);
  // Stored normalised (canonical PEM, or the line without its comment) so the file diff
  // shows exactly the key and nothing else.
  const entry: TrustKeyEntry = {
    keyid: keyIdOf(key),
    type: algorithm,
    publicKey: ssh ? toOpenSshPublicKey(key) : publicKeyPem(key),
    name: opts.name,
    ...(opts.channels && opts.channels.length > 0 ? { channels: [...opts.channels] } : {}),
    addedAt: (opts.now ?? new Date()).toISOString(),
  };
  const next: TrustDocument = { ...doc, version: doc.version + 1, keys: [...doc.keys, entry] };
  parseTrust(next, source);
  return { doc: next, key: entry };
}

/** Serialise with a trailing newline; stable key order for reviewable diffs. */
export function serializeTrust(doc: TrustDocument): string {
  const ordered = {
    formatVersion: doc.formatVersion,
    version: doc.version,
    threshold: doc.threshold,
    channels: doc.channels,
    sshNamespace: doc.sshNamespace,
    keys: doc.keys.map((k) => ({
      keyid: k.keyid,
      type: k.type,
      name: k.name,
      ...(k.channels ? { channels: k.channels } : {}),
      ...(k.addedAt ? { addedAt: k.addedAt } : {}),
      publicKey: k.publicKey,
    })),
  };
  return JSON.stringify(ordered, null, 2) + "\n";
}

/**
 * Write atomically (temp file + rename) so a crash never leaves a half-written trust file that
 * would fail closed for every deployment. `exclusive` refuses to replace an existing file.
 */
export function saveTrust(file: string, doc: TrustDocument, opts: { exclusive?: boolean } = {}): void {
  if (opts.exclusive && fs.existsSync(file)) {
    throw new ZwhError(TRUST.EXISTS, `${file} already exists`, {
      subject: file,
      hint: "Use another --out path, or pass --force to replace it (its keys are lost).",
    });
  }
  try {
    writeFileAtomic(file, serializeTrust(doc), { mode: 0o644, mkdirMode: 0o700 });
  } catch (e) {
    throw new ZwhError(TRUST.WRITE, `cannot write trust file ${file}: ${errnoText(e)}`, {
      subject: file,
      hint: "Check that the directory is writable.",
      cause: e,
    });
  }
}
