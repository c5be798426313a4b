/**
 * Host-key verification. Always on: there is no "accept anything" mode.
 *
 * Order: a pinned key (spec.hostKey: SHA256 fingerprint or key blob) if given, else the OpenSSH
 * known_hosts file (spec.knownHostsFile, default ~/.ssh/known_hosts). ssh2 calls the verifier
 * during key exchange, before NEWKEYS and long before any USERAUTH_REQUEST, so a refused key
 * means no credential (not even the user name) ever leaves this process.
 */
import { refusal, ZwhError } from "../core/errors";
import { hostKeyAlgorithmsFor, keyTypeOfBlob, parsePinnedHostKey, sha256Fingerprint, type PinnedHostKey } from "./fingerprint";
import { defaultKnownHostsFile, knownHostsLookupName, lookupKnownHosts, readKnownHostsFile } from "./known-hosts";
import type { TargetSpec } from "./target";

export interface HostKeyCheck {
  /** For ssh2's `hostVerifier` (raw key blob in, accept?). */
  verify(key: Buffer): boolean;
  /** The refusal recorded by verify(), if it refused. */
  refusal(): ZwhError | undefined;
  /** Fingerprint of the key the server presented (after the handshake started). */
  presentedFingerprint(): string | undefined;
  /**
   * ssh2 `algorithms.serverHostKey`: restricted to the pinned key's type when a blob is pinned;
   * with known_hosts, the types already known for this host are preferred (as OpenSSH does) so
   * the server presents the key we can check.
   */
  serverHostKeyAlgorithms?: string[];
  /** Human description of the trust source, e.g. "pinned SHA256:..." or "known_hosts /x". */
  source: string;
}

/** ssh2 1.17's default server host key list, in its preference order. */
const SSH2_DEFAULT_HOST_KEY_ALGOS = [
  "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
  "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa",
];

/** The preferred algorithms first, then the rest of the defaults. */
export function preferAlgorithms(preferred: string[]): string[] {
  const first = preferred.filter((a) => SSH2_DEFAULT_HOST_KEY_ALGOS.includes(a));
  return [...new Set([...first, ...SSH2_DEFAULT_HOST_KEY_ALGOS])];
}

function where(spec: TargetSpec): string {
  return `${spec.host}:${spec.port}`;
}

function unknownError(spec: TargetSpec, fp: string, keyType: string | undefined, knownHosts: string, key: Buffer): ZwhError {
  // The base64 key itself is what core Zowe stores in an ssh profile's hostKey and compares with
  // the presented key (`zowe uss issue ssh`); a SHA256 fingerprint there works for Wheelhouse only.
  const blob = key.toString("base64");
  const keyscan = spec.port === 22 ? `ssh-keyscan ${spec.host}` : `ssh-keyscan -p ${spec.port} ${spec.host}`;
  return refusal(
    "ZWH-SSH-HOSTKEY-UNKNOWN",
    `the host key of ${where(spec)} is not known: ${keyType ?? "key"} ${fp}. Refusing to connect (no credentials were sent)`,
    {
      subject: where(spec),
      hint:
        `Verify ${fp} with the z/OS system programmer (on the host: ssh-keygen -lf /etc/ssh/<key>.pub), then pin it with ` +
        `--host-key ${fp}, or add it to known_hosts: ${keyscan} >> ${knownHosts} (and check 'ssh-keygen -lf ${knownHosts}'). ` +
        `In a Zowe ssh profile pin the key itself, as core Zowe stores it: hostKey ${blob}`,
      details: { host: spec.host, port: spec.port, presentedFingerprint: fp, presentedKey: blob, keyType, knownHostsFile: knownHosts },
    },
  );
}

function mismatchError(spec: TargetSpec, expected: string[], fp: string, source: string): ZwhError {
  return refusal(
    "ZWH-SSH-HOSTKEY-MISMATCH",
    `the host key of ${where(spec)} does not match: expected ${expected.join(" or ")}, presented ${fp} (${source}). ` +
      `Refusing to connect (no credentials were sent)`,
    {
      subject: where(spec),
      hint:
        "The host was reinstalled, its key rotated, or someone is intercepting the connection. Confirm the new key " +
        "with the z/OS system programmer before updating the pin or known_hosts entry.",
      details: { host: spec.host, port: spec.port, expectedFingerprints: expected, presentedFingerprint: fp, source },
    },
  );
}

export function makeHostKeyCheck(spec: TargetSpec): HostKeyCheck {
  let refused: ZwhError | undefined;
  let presented: string | undefined;

  if (spec.hostKey !== undefined && spec.hostKey.trim() !== "") {
    const pin: PinnedHostKey = parsePinnedHostKey(spec.hostKey);
    const source = `pinned ${pin.fingerprint}`;
    return {
      source,
      serverHostKeyAlgorithms: pin.kind === "blob" ? hostKeyAlgorithmsFor(pin.keyType) : undefined,
      verify(key: Buffer): boolean {
        presented = sha256Fingerprint(key);
        const ok = pin.kind === "blob" ? key.equals(pin.blob) : presented === pin.fingerprint;
        if (!ok) refused = mismatchError(spec, [pin.fingerprint], presented, "--host-key");
        return ok;
      },
      refusal: () => refused,
      presentedFingerprint: () => presented,
    };
  }

  const file = spec.knownHostsFile ?? defaultKnownHostsFile();
  const entries = readKnownHostsFile(file);
  const { trusted, revoked } = lookupKnownHosts(entries, spec.host, spec.port);
  const knownTypes = [...new Set(trusted.map((e) => e.keyType))];
  return {
    source: `known_hosts ${file}`,
    serverHostKeyAlgorithms: knownTypes.length > 0 ? preferAlgorithms(knownTypes.flatMap(hostKeyAlgorithmsFor)) : undefined,
    verify(key: Buffer): boolean {
      presented = sha256Fingerprint(key);
      const rev = revoked.find((e) => e.blob.equals(key));
      if (rev) {
        refused = refusal(
          "ZWH-SSH-HOSTKEY-REVOKED",
          `the host key ${presented} presented by ${where(spec)} is marked @revoked in ${file} (line ${rev.line}); refusing to connect`,
          { subject: where(spec), hint: "Ask the z/OS system programmer for the host's current key.", details: { presentedFingerprint: presented, knownHostsFile: file } },
        );
        return false;
      }
      if (trusted.some((e) => e.blob.equals(key))) return true;
      const keyType = keyTypeOfBlob(key);
      // OpenSSH treats a different key of the SAME type as a change (possible attack); a host
      // known only with other key types may legitimately offer a new type, but we refuse both:
      // the only difference is the message.
      const sameType = trusted.filter((e) => e.keyType === keyType);
      if (sameType.length > 0) {
        refused = mismatchError(spec, sameType.map((e) => e.fingerprint), presented, `${file} entry ${knownHostsLookupName(spec.host, spec.port)}`);
      } else {
        refused = unknownError(spec, presented, keyType, file, key);
        if (trusted.length > 0) {
          refused.details!.knownKeyTypes = [...new Set(trusted.map((e) => e.keyType))];
        }
      }
      return false;
    },
    refusal: () => refused,
    presentedFingerprint: () => presented,
  };
}
