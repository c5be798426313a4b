/** `drift`: observe + compare, never apply (src/deploy/drift.ts). */
import type { CommandDef, OptionDef } from "../framework/types";
import { jsonOption, rootOption, targetOptions } from "./options";

const formats = ["table", "json", "markdown", "html", "junit", "sarif"];

const driftOptions: OptionDef[] = [
  ...targetOptions,
  rootOption,
  { name: "all-recorded", type: "boolean", defaultValue: false, description: "Check every host and root the inventory records an active release for (in parallel), instead of one --host/--profile." },
  { name: "desired", type: "string", description: "A bundle directory that should be deployed: hosts that run something else get an 'unapplied' finding. Its signed statement is verified against --trust." },
  { name: "trust", type: "string", description: "Trust file the --desired bundle's statement is verified against (default ~/.zwh/trust.json or $ZWH_TRUST)." },
  { name: "format", type: "string", defaultValue: "table", allowableValues: formats, description: "Format printed on stdout (or written to --out): table, json, markdown, html, junit, sarif." },
  { name: "out", aliases: ["o"], type: "string", description: "Write the --format report to this file instead of stdout." },
  { name: "report", type: "array", description: "Also write reports in other formats in the same run, as FORMAT=FILE (several: --report html=drift.html junit=drift.xml)." },
  { name: "fail-on", type: "string", defaultValue: "low", allowableValues: ["low", "medium", "high"], description: "Lowest finding severity that makes the exit code 2 (drift). Unknown hosts always set 4." },
  { name: "forks", type: "number", defaultValue: 8, description: "Hosts observed at the same time with --all-recorded." },
  { name: "inventory", type: "string", description: "Inventory store the recorded state is read from and the findings are written to (default $ZWH_INVENTORY, else ~/.zwh/inventory.db)." },
  jsonOption,
];

export const driftCommand: CommandDef = {
  type: "command",
  name: "drift",
  summary: "Report what changed on hosts behind Wheelhouse's back (exit 0 clean, 2 drift, 4 unknown, 6 both)",
  description:
    "For each host: one session (SSH, or z/OSMF with --transport zosmf, where the helper run is one BPXBATCH job) " +
    "and one helper run under the target's base interpreter in isolated mode " +
    "without site (so nothing in the release runs while it is checked). It re-hashes every installed file against its " +
    "RECORD, lists extra files in site-packages (an extra .pth is high severity), reads the installed distributions, " +
    "the file tags of what Wheelhouse wrote, the interpreter now versus at deploy time, the lock and the trust state, " +
    "and compares them with the inventory record and the on-target receipt, and with --desired. Findings carry a " +
    "severity and the command that fixes them; they are recorded, so first sightings are tracked across runs. A host " +
    "that cannot be observed is 'unknown', never clean. Nothing is written under the install root (helpers missing " +
    "there run from a per-run /tmp directory that is removed afterwards).",
  options: driftOptions,
  examples: [
    { description: "Check one host", args: "--host lpar1 --user IBMUSER --root /u/apps/wheelhouse", zowe: "--ssh-profile lpar1 --wheelhouse-profile prod" },
    { description: "Check every recorded host and write HTML and JUnit reports for CI", args: "--all-recorded --user IBMUSER --report html=drift.html junit=drift.xml" },
    { description: "Is the approved bundle everywhere?", args: "--all-recorded --user IBMUSER --desired ./bundle-app-1.5 --fail-on medium" },
  ],
  handler: "drift",
  connects: true,
};
