/** `trust` group: the local trust file (who may sign which channel). */
import type { GroupDef, OptionDef } from "../framework/types";
import { forceOption, jsonOption, outOption } from "./options";

const trustFileOption: OptionDef = {
  name: "trust", type: "string",
  description: "Trust file to use (default $ZWH_TRUST, else ~/.zwh/trust.json).",
};

const channelOption: OptionDef = {
  name: "channel", aliases: ["c"], type: "array",
  description: "Channel name (letters, digits, '.', '_', '-'); repeat the option for several channels.",
};

export const trustGroup: GroupDef = {
  type: "group",
  name: "trust",
  summary: "Manage trusted bundle signers",
  description: "Manage the trust file: signer keys, the t-of-n signature threshold, allowed channels and rollback protection.",
  children: [
    {
      type: "command",
      name: "init",
      summary: "Create a new trust file",
      description:
        "Create an empty trust file (JSON, formatVersion 1) with a signature threshold, the channels bundles may be " +
        "deployed from, and the SSHSIG namespace. A bundle is accepted only when at least THRESHOLD distinct trusted " +
        "keys, each allowed for the bundle's channel, signed its manifest. Add keys with 'trust add-key'; until every " +
        "channel has THRESHOLD keys, verification with this file fails closed.",
      options: [
        outOption("Trust file to create (default $ZWH_TRUST, else ~/.zwh/trust.json).", false),
        { name: "threshold", type: "number", defaultValue: 1,
          description: "Number of distinct trusted keys that must sign a bundle (t of t-of-n)." },
        // No defaultValue: an array default could be merged with given values by a host; the handler defaults to "stable".
        { ...channelOption, description: "Channel bundles may come from (default: stable); repeat for several, e.g. --channel stable --channel test." },
        { name: "ssh-namespace", type: "string", defaultValue: "zos-wheelhouse-bundle",
          description: "Namespace SSHSIG signatures must use (ssh-keygen -Y sign -n NAMESPACE)." },
        forceOption("Replace an existing trust file (its keys are lost)."),
        jsonOption,
      ],
      examples: [
        { description: "Create ~/.zwh/trust.json for the stable channel, one signature required", args: "" },
        { description: "Require two of the listed signers for stable and test bundles",
          args: "--out /etc/zwh/trust.json --threshold 2 --channel stable --channel test" },
      ],
      handler: "trust/init",
    },
    {
      type: "command",
      name: "add-key",
      summary: "Trust a signer's public key",
      description:
        "Add a public key to the trust file. The key may be an SPKI PEM file (PREFIX.pub from 'keys generate'), an " +
        "OpenSSH public key file (ssh-ed25519 or ecdsa-sha2-nistp256; RSA only for SSHSIG signatures), or an OpenSSH " +
        "public key line given directly. The key id is computed from the key; a key or name already present is refused. " +
        "With --channel the key may sign only bundles of those channels.",
      options: [
        trustFileOption,
        { name: "key", aliases: ["k"], type: "string", required: true,
          description: "Public key file (PEM or OpenSSH .pub), or an OpenSSH public key line in quotes." },
        { name: "name", aliases: ["n"], type: "string", required: true, description: "Unique signer name shown in reports, e.g. release-bot." },
        { ...channelOption, description: "Restrict the key to this channel (repeatable); default: all channels of the trust file." },
        jsonOption,
      ],
      examples: [
        { description: "Trust the key made by 'keys generate --out release-signer'", args: "--key release-signer.pub --name release-signer" },
        { description: "Trust an SSH key, only for test bundles",
          args: "--trust /etc/zwh/trust.json --key ~/.ssh/id_ed25519.pub --name alice --channel test" },
      ],
      handler: "trust/add-key",
    },
    {
      type: "command",
      name: "show",
      summary: "Show the trust file",
      description:
        "Validate the trust file and show its threshold, channels, SSHSIG namespace and keys (id, type, name, " +
        "channels). Reports channels that cannot reach the threshold with the keys present. Exits 1 if the file is invalid.",
      options: [trustFileOption, jsonOption],
      examples: [
        { description: "Show the default trust file", args: "" },
        { description: "Show a trust file as JSON", args: "--trust /etc/zwh/trust.json --json" },
      ],
      handler: "trust/show",
    },
  ],
};
