/** Option sets shared by several commands. */
import type { OptionDef } from "../framework/types";

export const TARGET_GROUP = "Target options";
export const ZOSMF_GROUP = "z/OSMF transport options";

/**
 * How to reach the target. In the Zowe plugin host/port/user/identity/passphrase/host key come
 * from the ssh profile (and its connection options), so those are zwh-only here.
 */
export const targetOptions: OptionDef[] = [
  { name: "host", aliases: ["H"], type: "string", group: TARGET_GROUP, only: "zwh",
    description: "Host name or address of the z/OS system (its z/OS OpenSSH server)." },
  { name: "port", aliases: ["P"], type: "number", group: TARGET_GROUP, only: "zwh", defaultValue: 22,
    description: "SSH port of the z/OS system." },
  { name: "user", aliases: ["u"], type: "string", group: TARGET_GROUP, only: "zwh",
    description: "z/OS user ID to log in as (needs an OMVS segment)." },
  { name: "identity", aliases: ["i"], type: "string", group: TARGET_GROUP, only: "zwh",
    description: "Private key file for public-key authentication. Without it, ssh-agent (SSH_AUTH_SOCK) and then --password-env are tried." },
  { name: "passphrase-env", type: "string", group: TARGET_GROUP, only: "zwh",
    description: "Name of an environment variable holding the private key's passphrase (never pass secrets on the command line)." },
  { name: "password-env", type: "string", group: TARGET_GROUP, only: "zwh",
    description: "Name of an environment variable holding the z/OS password or passphrase." },
  { name: "host-key", type: "string", group: TARGET_GROUP, only: "zwh",
    description: "Pinned host key fingerprint (SHA256:...) as printed by 'ssh-keygen -lf'. Without it, --known-hosts is used." },
  { name: "known-hosts", type: "string", group: TARGET_GROUP, only: "zwh",
    description: "OpenSSH known_hosts file to verify the host key against (default ~/.ssh/known_hosts)." },
  { name: "handshake-timeout", type: "number", group: TARGET_GROUP, only: "zwh", defaultValue: 20000,
    description: "SSH handshake timeout in milliseconds." },
  { name: "name", type: "string", group: TARGET_GROUP,
    description: "Logical name of the host in the inventory and in output (default: the ssh profile's name, else the LPAR's nodename from 'uname -n'). Address, port and user are recorded as its attributes." },
  { name: "python", type: "string", group: TARGET_GROUP,
    description: "Path of the target's Python interpreter (IBM Open Enterprise SDK for Python), e.g. /usr/lpp/IBM/cyp/v3r12/pyz/bin/python3." },
  { name: "command-timeout", type: "number", group: TARGET_GROUP, defaultValue: 600000,
    description: "Timeout for one remote command in milliseconds." },
  { name: "env", type: "array", group: TARGET_GROUP,
    description: "Extra environment variables exported for every remote command, as NAME=VALUE (several: --env A=1 B=2), e.g. " +
      "site settings such as LIBPATH=/usr/lib/site or _BPXK_JOBLOG=STDERR. Exported after Wheelhouse's own z/OS " +
      "settings, so it can override them. Names are letters, digits and _; values are passed literally (quoted)." },
  { name: "transport", type: "string", group: TARGET_GROUP, allowableValues: ["ssh", "zosmf"], defaultValue: "ssh",
    description: "How to reach the target: ssh (SFTP + exec, the default) or zosmf (z/OSMF REST files and BPXBATCH jobs, for " +
      "sites without SSH access; connection from a Zowe zosmf profile or the --zosmf-* options)." },
  { name: "zosmf-profile", type: "string", group: ZOSMF_GROUP,
    description: "Zowe zosmf profile to connect with when --transport zosmf (default: the team config's default zosmf profile). " +
      "Its password comes from the Zowe secure store; a base profile's API ML token is used when it has no user/password." },
  { name: "zosmf-host", type: "string", group: ZOSMF_GROUP, only: "zwh",
    description: "z/OSMF host (with --transport zosmf and no zosmf profile)." },
  { name: "zosmf-port", type: "number", group: ZOSMF_GROUP, only: "zwh",
    description: "z/OSMF HTTPS port (default 443)." },
  { name: "zosmf-user", type: "string", group: ZOSMF_GROUP, only: "zwh",
    description: "z/OSMF user ID." },
  { name: "zosmf-password-env", type: "string", group: ZOSMF_GROUP, only: "zwh",
    description: "Name of an environment variable holding the z/OSMF password (never pass secrets on the command line)." },
  { name: "zosmf-token-env", type: "string", group: ZOSMF_GROUP, only: "zwh",
    description: "Name of an environment variable holding a z/OSMF or API ML token (instead of user/password)." },
  { name: "zosmf-token-type", type: "string", group: ZOSMF_GROUP, only: "zwh",
    description: "Type of that token: LtpaToken2 (default), apimlAuthenticationToken or jwtToken." },
  { name: "zosmf-base-path", type: "string", group: ZOSMF_GROUP, only: "zwh",
    description: "Base path in front of /zosmf, e.g. /ibmzosmf/api/v1 behind the API Mediation Layer." },
  { name: "zosmf-ca-file", type: "string", group: ZOSMF_GROUP,
    description: "PEM file with the CA certificate(s) that issued z/OSMF's TLS certificate, trusted in addition to the system's. " +
      "TLS is always verified unless the zosmf profile sets rejectUnauthorized false." },
  { name: "zosmf-job-name", type: "string", group: ZOSMF_GROUP,
    description: "Job name of the BPXBATCH jobs that run Wheelhouse's target-side commands (1-8 characters, default ZWHJOB)." },
  { name: "zosmf-job-class", type: "string", group: ZOSMF_GROUP,
    description: "Job class of those jobs (default A)." },
  { name: "zosmf-job-account", type: "string", group: ZOSMF_GROUP,
    description: "Accounting information of those jobs (default none)." },
];

export const rootOption: OptionDef = {
  name: "root", type: "string", group: TARGET_GROUP,
  description: "Wheelhouse install root on the target (z/OS UNIX directory holding releases/, store/, current).",
};

export const jsonOption: OptionDef = {
  name: "json", type: "boolean", defaultValue: false, only: "zwh",
  description: "Print one JSON object (the same object the Zowe plugin returns with --rfj).",
};

/** `--out` / `-o`: what the command creates (required unless the command has a default). */
export function outOption(description: string, required = true): OptionDef {
  return { name: "out", aliases: ["o"], type: "string", ...(required ? { required: true } : {}), description };
}

/** `--force`: replace what already exists (off by default). */
export function forceOption(description: string): OptionDef {
  return { name: "force", type: "boolean", defaultValue: false, description };
}

/** `--passphrase-env`: the name of the environment variable holding a key's passphrase. */
export function passphraseEnvOption(description: string): OptionDef {
  return { name: "passphrase-env", type: "string", description };
}
