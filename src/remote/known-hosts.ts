/**
 * OpenSSH known_hosts parsing and lookup (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT").
 *
 * Line: `[@marker] patterns keytype base64-key [comment]`.
 * - patterns: comma list of host names / addresses with `*` and `?` wildcards and `!` negation;
 *   a non-22 port is written `[host]:port`; or a single hashed entry `|1|<b64 salt>|<b64 hmac>`
 *   where hmac = HMAC-SHA1(salt, "host" or "[host]:port").
 * - `@revoked` marks a key that must never be accepted; `@cert-authority` lines describe CA
 *   keys for host certificates, which Wheelhouse does not use, so they are ignored.
 */
import { createHmac } from "crypto";
import { homedir } from "os";
import { join } from "path";
import { ZwhError } from "../core/errors";
import { keyTypeOfBlob, sha256Fingerprint } from "./fingerprint";
import { readOptionalInput } from "../io/input-file";

export interface KnownHostEntry {
  marker?: "revoked" | "cert-authority";
  /** Raw pattern field. */
  patterns: string;
  keyType: string;
  blob: Buffer;
  fingerprint: string;
  /** 1-based line number in the file. */
  line: number;
}

export function defaultKnownHostsFile(): string {
  return join(homedir(), ".ssh", "known_hosts");
}

/** Parse known_hosts text. Malformed lines are skipped (OpenSSH does the same). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const f = raw.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (f[0].startsWith("@")) {
      const m = f.shift()!;
      if (m === "@revoked") marker = "revoked";
      else if (m === "@cert-authority") marker = "cert-authority";
      else continue;
    }
    if (f.length < 3) continue;
    const [patterns, keyType, b64] = f;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const blob = Buffer.from(b64, "base64");
    if (keyTypeOfBlob(blob) !== keyType) continue;
    out.push({ marker, patterns, keyType, blob, fingerprint: sha256Fingerprint(blob), line: i + 1 });
  }
  return out;
}

/** The name OpenSSH looks up: "host" on port 22, "[host]:port" otherwise. */
export function knownHostsLookupName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  let re = "^";
  for (const ch of pattern) {
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(re + "$").test(name);
}

function hashedMatch(entry: string, name: string): boolean {
  const m = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(entry);
  if (!m) return false;
  const salt = Buffer.from(m[1], "base64");
  const want = Buffer.from(m[2], "base64");
  const got = createHmac("sha1", salt).update(name).digest();
  return got.length === want.length && got.equals(want);
}

/** Does this pattern field match host:port? Negations win over positive matches. */
export function patternsMatch(patterns: string, host: string, port: number): boolean {
  const name = knownHostsLookupName(host, port);
  if (patterns.startsWith("|")) return hashedMatch(patterns, name);
  let positive = false;
  for (const p0 of patterns.split(",")) {
    if (p0 === "") continue;
    const neg = p0.startsWith("!");
    const p = (neg ? p0.slice(1) : p0).toLowerCase();
    if (wildcardMatch(p, name)) {
      if (neg) return false;
      positive = true;
    }
  }
  return positive;
}

export interface KnownHostsLookup {
  /** Keys trusted for this host (non-revoked, non-CA). */
  trusted: KnownHostEntry[];
  /** Revoked keys (apply to any host: OpenSSH refuses a revoked key whatever the pattern). */
  revoked: KnownHostEntry[];
}

export function lookupKnownHosts(entries: KnownHostEntry[], host: string, port: number): KnownHostsLookup {
  const trusted: KnownHostEntry[] = [];
  const revoked: KnownHostEntry[] = [];
  for (const e of entries) {
    if (e.marker === "cert-authority") continue;
    if (e.marker === "revoked") {
      revoked.push(e);
      continue;
    }
    if (patternsMatch(e.patterns, host, port)) trusted.push(e);
  }
  return { trusted, revoked };
}

/** Read and parse a known_hosts file; a missing file is an empty list. */
export function readKnownHostsFile(file: string): KnownHostEntry[] {
  const bytes = readOptionalInput(file, {
    what: "known_hosts file",
    ioError: (e) => new ZwhError("ZWH-SSH-KNOWN-HOSTS", `cannot read known_hosts file ${file}: ${e.message}`, {
      subject: file,
      hint: "Check the --known-hosts path and its permissions.",
      cause: e,
    }),
  });
  return bytes === undefined ? [] : parseKnownHosts(bytes.toString("utf8"));
}
