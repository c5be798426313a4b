/** `keys` group: signing keys for bundles. */
import type { GroupDef } from "../framework/types";
import { forceOption, jsonOption, outOption, passphraseEnvOption } from "./options";

export const keysGroup: GroupDef = {
  type: "group",
  name: "keys",
  summary: "Create bundle signing keys",
  description: "Generate Ed25519 or ECDSA P-256 key pairs used to sign wheel bundles.",
  children: [
    {
      type: "command",
      name: "generate",
      aliases: ["gen"],
      summary: "Generate a bundle signing key pair",
      description:
        "Create a new Ed25519 or ECDSA P-256 key pair for signing bundles. The private key is written to PREFIX.key " +
        "(PKCS#8 PEM, file mode 0600, optionally encrypted with a passphrase taken from an environment variable) and " +
        "the public key to PREFIX.pub (SPKI PEM). The private key is never printed. The key id, 'sha256:' followed by " +
        "the hex SHA-256 of the public key's DER SubjectPublicKeyInfo, identifies the key in trust files and " +
        "signatures. Existing files are not replaced unless --force is given. Add the public key to a trust file with " +
        "'trust add-key'.",
      options: [
        { name: "type", aliases: ["t"], type: "string", defaultValue: "ed25519", allowableValues: ["ed25519", "ecdsa-p256"],
          description: "Key algorithm: ed25519 (default) or ecdsa-p256 (NIST P-256, for environments that require FIPS curves)." },
        outOption("Path prefix of the key files: PREFIX.key (private) and PREFIX.pub (public) are written."),
        forceOption("Replace existing PREFIX.key / PREFIX.pub. The old private key is lost."),
        passphraseEnvOption("Name of an environment variable holding a passphrase to encrypt the private key with (never pass secrets on the command line)."),
        jsonOption,
      ],
      examples: [
        { description: "Create an Ed25519 key pair release-signer.key / release-signer.pub", args: "--out ~/.zwh/release-signer" },
        { description: "Create a P-256 key pair whose private key is encrypted with the passphrase in $ZWH_KEY_PASS",
          args: "--type ecdsa-p256 --out keys/ci --passphrase-env ZWH_KEY_PASS" },
      ],
      handler: "keys/generate",
    },
  ],
};
