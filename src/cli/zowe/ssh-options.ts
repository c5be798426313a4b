/**
 * The connection options of the Zowe `ssh` profile type, as Wheelhouse exposes them on its
 * connecting commands in the Zowe plugin.
 *
 * Why a declaration here instead of `SshSession.SSH_CONNECTION_OPTIONS`: inside an installed
 * plugin, the Plugin Management Facility redirects only `@zowe/imperative` and `@zowe/cli` to the
 * host; `@zowe/zos-uss-for-zowe-sdk` is not resolvable (tested in
 * test/integration/zowe-plugin.test.ts), and reaching it through `require("@zowe/cli")` would
 * load every SDK of the host on every `zowe` start. The names, aliases and types MUST stay those
 * of the host's options, because they are what lines the ssh profile's properties and the
 * `ZOWE_OPT_*` variables up with our arguments; test/unit/zowe-definitions.test.ts compares
 * them with the real `SshSession.SSH_CONNECTION_OPTIONS`. Only the descriptions differ: they
 * say what Wheelhouse does with each value (it accepts SHA256 fingerprints as host-key pins and
 * never skips host-key verification).
 */
import type { ICommandOptionDefinition } from "@zowe/imperative";

export const SSH_OPTION_GROUP = "z/OS Ssh Connection Options";

export const SSH_CONNECTION_OPTIONS: ICommandOptionDefinition[] = [
  { name: "host", aliases: ["H"], type: "string", required: false, group: SSH_OPTION_GROUP,
    description: "The z/OS SSH server host name." },
  { name: "port", aliases: ["P"], type: "number", defaultValue: 22, group: SSH_OPTION_GROUP,
    description: "The z/OS SSH server port." },
  { name: "user", aliases: ["u"], type: "string", required: false, group: SSH_OPTION_GROUP,
    description: "Mainframe user name, which can be the same as your TSO login (needs an OMVS segment)." },
  { name: "password", aliases: ["pass", "pw"], type: "string", group: SSH_OPTION_GROUP,
    description: "Mainframe password, which can be the same as your TSO password. Store it in the ssh profile's " +
      "secure properties or set ZOWE_OPT_PASSWORD rather than typing it on the command line." },
  { name: "privateKey", aliases: ["key", "pk"], type: "string", group: SSH_OPTION_GROUP,
    description: "Path to a file containing your private key, that must match a public key stored in the server " +
      "for authentication. A key takes precedence over a password." },
  { name: "keyPassphrase", aliases: ["passphrase", "kp"], type: "string", group: SSH_OPTION_GROUP,
    description: "Private key passphrase, which unlocks the private key." },
  { name: "handshakeTimeout", aliases: ["timeout", "to"], type: "number", group: SSH_OPTION_GROUP,
    description: "How long in milliseconds to wait for the SSH handshake to complete (Wheelhouse default 20000)." },
  { name: "host-key", aliases: ["hk"], type: "string", group: SSH_OPTION_GROUP,
    description: "The trusted host key of the z/OS SSH server: the base64 key blob that 'zowe ssh' pins in the " +
      "profile, or a 'SHA256:...' fingerprint as printed by 'ssh-keygen -lf'. The server's key is verified " +
      "against it before any credentials are sent. Without it, ~/.ssh/known_hosts is used." },
  { name: "insecure", aliases: ["i"], type: "boolean", defaultValue: false, group: SSH_OPTION_GROUP,
    description: "Refused by Wheelhouse, which always verifies the server's host key. Pass '--insecure false' to " +
      "use an ssh profile that sets insecure: true for other tools." },
];

/** Property names of the ssh profile that Wheelhouse reads (camelCase, as merged into arguments). */
export const SSH_PROFILE_PROPERTIES = [
  "host", "port", "user", "password", "privateKey", "keyPassphrase", "handshakeTimeout", "hostKey", "insecure",
] as const;
