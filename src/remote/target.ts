import type { ZosmfTarget } from "./zosmf/session";

/**
 * How to reach one target host. Built from zwh flags or from a Zowe ssh profile + wheelhouse
 * profile; consumed by the SSH transport.
 */
export interface TargetSpec {
  host: string;
  port: number;
  user: string;
  /** Private key file path (OpenSSH or PEM). */
  identityFile?: string;
  /** Private key contents (takes precedence over identityFile). */
  privateKey?: Buffer | string;
  passphrase?: string;
  password?: string;
  /** ssh-agent socket; defaults to SSH_AUTH_SOCK when no key or password is given. */
  agent?: string;
  /**
   * Pinned host key: "SHA256:<base64>" fingerprint (as printed by ssh-keygen -lf), or a
   * base64 key blob (optionally "ssh-ed25519 AAAA..." form) as stored in a Zowe ssh profile.
   */
  hostKey?: string;
  /** OpenSSH known_hosts file used when no pin is given (default ~/.ssh/known_hosts). */
  knownHostsFile?: string;
  handshakeTimeoutMs?: number;
  commandTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  /** The target's Python interpreter (IBM Open Enterprise SDK for Python). */
  pythonPath?: string;
  /** Extra environment exported in every exec (site settings). */
  extraEnv?: Record<string, string>;
  /** Logical host name (--name, or the Zowe ssh profile's name); see src/core/host-name.ts. */
  name?: string;
  /** Where `name` came from. */
  nameSource?: "name" | "profile";
  /** The Zowe ssh profile the target came from, if any. */
  zoweProfile?: string;
  /**
   * "ssh" (default): SFTP + exec over one SSH connection. "zosmf": z/OSMF REST (files) and
   * BPXBATCH jobs (commands) through the Zowe SDKs; host/port/user then name z/OSMF and
   * `zosmf` holds the connection.
   */
  transport?: "ssh" | "zosmf";
  zosmf?: ZosmfTarget;
}

import { addressLabel } from "../core/host-name";

export const DEFAULT_PYTHON = "/usr/lpp/IBM/cyp/v3r12/pyz/bin/python3";

/**
 * How a target is named before its nodename is known: its logical name (--name, profile), else
 * "host" / "host:port" (port 22 omitted) — the one address spelling used in messages.
 */
export function hostLabel(spec: Pick<TargetSpec, "host" | "port" | "name">): string {
  return spec.name ?? addressLabel(spec);
}

/**
 * How human output names a target: the LPAR's logical name with the address as an attribute,
 * "lpar1 (10.1.1.5:2222)", or the address alone when no name is known yet. `name` overrides
 * spec.name (e.g. the name the inventory already knows for this address).
 */
export function hostTitle(spec: Pick<TargetSpec, "host" | "port" | "name">, name: string | undefined = spec.name): string {
  const addr = addressLabel(spec);
  return name && name !== addr ? `${name} (${addr})` : addr;
}

/** The title of a command's connect step: "Connect to lpar1 (IBMUSER@10.1.1.5:2222)". */
export function connectTitle(spec: Pick<TargetSpec, "host" | "port" | "name" | "user">, name: string | undefined = spec.name): string {
  const addr = `${spec.user}@${addressLabel(spec)}`;
  return name && name !== addressLabel(spec) ? `Connect to ${name} (${addr})` : `Connect to ${addr}`;
}
