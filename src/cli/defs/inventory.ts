/** `inventory …`: query, export, verify and rebuild the record of what is deployed where. */
import type { GroupDef, OptionDef } from "../framework/types";
import { jsonOption, rootOption, targetOptions } from "./options";

const inventory: OptionDef = {
  name: "inventory", type: "string",
  description: "Inventory store: a SQLite file or postgres://USER@HOST:PORT/DB (default $ZWH_INVENTORY, else ~/.zwh/inventory.db).",
};

export const inventoryGroup: GroupDef = {
  type: "group",
  name: "inventory",
  summary: "What Python is deployed where, from which signed bundle, installed by whom",
  description:
    "Reads the inventory every deploy, rollback and drift run records into (SQLite or PostgreSQL). Nothing here " +
    "connects to a host except 'sync', which rebuilds a host's records from the receipts on the host itself.",
  children: [
    {
      type: "command", name: "list",
      summary: "Hosts and their active releases: bundle, signer, when, by whom",
      description: "One row per host and install root with an active release. --package shows only hosts that run that project (PEP 503 names).",
      options: [{ name: "host", type: "string", description: "Only this host (its logical name)." }, { name: "package", type: "string", description: "Only hosts running this project, e.g. numpy." }, inventory, jsonOption],
      examples: [{ description: "Everything deployed, one row per host and root", args: "" }, { description: "Which hosts run requests, as JSON", args: "--package requests --json" }],
      handler: "inventory/list",
    },
    {
      type: "command", name: "show",
      summary: "One host's record: attributes, releases per root, last run, open drift findings",
      description: "Everything the inventory knows about one host.",
      positionals: [{ name: "host", description: "The host's logical name (as 'inventory list' shows it).", required: true }],
      options: [inventory, jsonOption],
      examples: [{ description: "Everything recorded about lpar1", args: "lpar1" }],
      handler: "inventory/show",
    },
    {
      type: "command", name: "history",
      summary: "Releases and runs over time, from the hash-chained event log",
      description: "The inventory's events (deploys, activations, rollbacks, drift findings, lock breaks) in order, for one host or all, optionally since a time.",
      options: [{ name: "host", type: "string", description: "Only this host." }, { name: "since", type: "string", description: "Only events at or after this ISO 8601 time, e.g. 2026-12-01 or 2026-12-01T08:00:00Z." }, inventory, jsonOption],
      examples: [{ description: "What happened on lpar1 this month", args: "--host lpar1 --since 2026-12-01" }],
      handler: "inventory/history",
    },
    {
      type: "command", name: "export",
      summary: "Export the deployed packages as JSON, CSV or CycloneDX 1.6 (one SBOM per host release)",
      description:
        "json and csv: one row per host, root and installed package with its release, bundle, signers and wheel sha256. " +
        "cyclonedx: one CycloneDX 1.6 document per active host release (purls with file_name, wheel sha256, dependencies " +
        "from Requires-Dist under the bundle target's markers); with --out, a directory receives one file per release.",
      options: [
        { name: "format", type: "string", defaultValue: "json", allowableValues: ["json", "csv", "cyclonedx"], description: "json, csv or cyclonedx." },
        { name: "host", type: "string", description: "Only this host." },
        { name: "out", aliases: ["o"], type: "string", description: "Write to this file (cyclonedx: this directory) instead of stdout." },
        inventory, jsonOption,
      ],
      examples: [{ description: "SBOMs of every host release for an auditor", args: "--format cyclonedx --out sboms/" }, { description: "A spreadsheet", args: "--format csv --out deployed.csv" }],
      handler: "inventory/export",
    },
    {
      type: "command", name: "verify-log",
      summary: "Re-compute the inventory's hash-chained event log and name the first broken entry",
      description: "Exit 0 when every event's hash and link are intact; exit 3 naming the first edited, removed or reordered event otherwise.",
      options: [inventory, jsonOption],
      examples: [{ description: "Check the record has not been edited", args: "" }],
      handler: "inventory/verify-log",
    },
    {
      type: "command", name: "sync",
      summary: "Rebuild a host's records from the receipts on the host (a lost or fresh inventory)",
      description:
        "Reads the install root's releases, their receipts and signed statements over one connection and records them " +
        "(bundle, release, installed packages; 'current' becomes the active release). A statement is recorded only when it " +
        "hashes to the digest its receipt names. Nothing on the host changes.",
      options: [...targetOptions, { ...rootOption, required: true }, inventory, jsonOption],
      examples: [{ description: "Rebuild lpar1's records into a fresh store", args: "--host lpar1 --user IBMUSER --root /u/wheelhouse --inventory new.db", zowe: "--ssh-profile lpar1 --wheelhouse-profile prod" }],
      handler: "inventory/sync",
      connects: true,
    },
  ],
};
