/** Option sets shared by several commands. */
import type { OptionDef } from "../framework/types";

export const TARGET_GROUP = "Target options";

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
