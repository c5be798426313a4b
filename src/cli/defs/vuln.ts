/** `vuln` group: the offline vulnerability gate outside a bundle (inventory scan, waiver signing). */
import type { GroupDef } from "../framework/types";
import { jsonOption, outOption, passphraseEnvOption } from "./options";
import { vulnGateOptions } from "./vuln-options";

export const vulnGroup: GroupDef = {
  type: "group",
  name: "vuln",
  summary: "Offline vulnerability checks: scan the inventory, sign waivers",
  description: "The offline OSV gate (docs/vulnerability-gate.md) applied to what is deployed, and the signed waivers it honours.",
  children: [
    {
      type: "command",
      name: "scan",
      summary: "Which deployed hosts now run a vulnerable package",
      description:
        "Check every package of every active release recorded in the local inventory against an OSV snapshot, without " +
        "connecting to any host. Decisions are the gate's: malicious (MAL-*), CVSS base score over the threshold, no score " +
        "(unless --allow-unscored), waived, or below the threshold (listed, not counted). Exit 0 = nothing found, 2 = at " +
        "least one host runs a package the gate refuses. Run it whenever a new snapshot arrives.",
      options: [
        ...vulnGateOptions(true).map((o) => (o.name === "vuln-db" ? { ...o, required: true } : o)),
        { name: "trust", type: "string", description: "Trust file whose keys must have signed the --waivers documents (default ~/.zwh/trust.json, or $ZWH_TRUST); only read with --waivers." },
        { name: "inventory", type: "string", description: "Inventory store: a SQLite file or postgres://USER@HOST:PORT/DB (default $ZWH_INVENTORY, else ~/.zwh/inventory.db)." },
        { name: "all-releases", type: "boolean", defaultValue: false, description: "Also check previous and staged releases still on disk (rollback targets), not only the active ones." },
        { name: "format", type: "string", allowableValues: ["table", "json", "markdown"], defaultValue: "table", description: "Output format." },
        jsonOption,
      ],
      examples: [
        { description: "Scan the inventory against a new snapshot", args: "--vuln-db all.zip" },
        { description: "Markdown report with waivers, including rollback releases", args: "--vuln-db all.zip --waivers waivers.dsse.json --all-releases --format markdown" },
      ],
      handler: "vuln/scan",
    },
    {
      type: "command",
      name: "sign",
      summary: "Sign a waiver list or CycloneDX VEX document",
      description:
        "Validate a waiver document and write it as a DSSE envelope signed with one or more keys (the same keys and trust " +
        "file as bundles). A Wheelhouse waiver list is {\"formatVersion\":1,\"waivers\":[{\"id\",\"package\"?,\"version\"?," +
        "\"reason\",\"expires\"}]}; a CycloneDX VEX document waives vulnerabilities whose analysis.state is not_affected, " +
        "resolved or false_positive, with the expiry in the property wheelhouse:expires. Pass the envelope with --waivers.",
      positionals: [{ name: "file", description: "Waiver list or CycloneDX VEX JSON file.", required: true }],
      options: [
        outOption("Envelope file to write (must not exist), e.g. waivers.dsse.json."),
        { name: "key", aliases: ["k"], type: "array", required: true, description: "Private key file(s) to sign with; several keys give several signatures (t-of-n)." },
        passphraseEnvOption("Name of an environment variable holding the keys' passphrase."),
        jsonOption,
      ],
      examples: [{ description: "Sign this quarter's waivers", args: "waivers.json --key ~/.zwh/security-officer.key --out waivers.dsse.json" }],
      handler: "vuln/sign",
    },
  ],
};
