/** Deployment commands: deploy, rollback, status and the lock group. */
import type { CommandDef, GroupDef, OptionDef } from "../framework/types";
import { jsonOption, rootOption, targetOptions } from "./options";
import { vulnGateOptions } from "./vuln-options";

const root: OptionDef = { ...rootOption, required: true };
/** Seconds a deployment lock stays valid without a heartbeat (deploy heartbeats during pip). */
const lockTtl: OptionDef = {
  name: "lock-ttl", type: "number", defaultValue: 900,
  description: "Seconds the deployment lock stays valid without a heartbeat; after that another run sees it as stale (the deploy renews it every ttl/3 from acquisition to activation; a run that finds it broken stops with ZWH-LOCK-LOST).",
};
const inventory: OptionDef = {
  name: "inventory", type: "string",
  description: "Inventory store that records what was deployed where: a SQLite file, or a shared PostgreSQL store as postgres://USER@HOST:PORT/DB (password from PGPASSWORD or ~/.pgpass, never on the command line). Default $ZWH_INVENTORY, else ~/.zwh/inventory.db.",
};

export const deployCommand: CommandDef = {
  type: "command",
  name: "deploy",
  summary: "Deploy a signed bundle to one z/OS host: push, verify on target, install offline, activate atomically",
  description:
    "Observe the target (release links, wheel store, lock, interpreter facts), verify the bundle locally against the " +
    "target's environment, and plan: nothing to do (the bundle's release is current), re-activate an intact existing " +
    "release, or install. Installing uploads only the wheels the host's content-addressed store lacks (pre-tagged binary, " +
    "re-hashed on the target before they get their final names), checks the bundle signature on the target against the " +
    "trust anchors installed with 'target trust', builds releases/<id> with a fresh venv and hardened offline pip " +
    "(--no-index --require-hashes --only-binary=:all: --isolated), verifies the installed set and every installed file " +
    "against its RECORD, runs the optional smoke import, then swaps the 'current' symlink atomically and prunes old " +
    "releases. Everything after the plan runs under the root's deployment lock. Any failure before activation leaves " +
    "'current' untouched; re-running converges. The run is recorded in the local inventory and in DIR/.wheelhouse/audit.log. " +
    "Rollback protection: the target keeps the highest bundle sequence it accepted per trust root and channel " +
    "(DIR/.wheelhouse/sequence.json) and refuses an older bundle before anything changes (ZWH-SEQ-ROLLBACK, exit 3), whatever " +
    "this workstation remembers; --allow-downgrade installs it deliberately and records that. A deploy that loses its lock " +
    "(broken with 'lock break --force') stops before activation (ZWH-LOCK-LOST).",
  positionals: [{ name: "bundle", description: "Bundle directory (manifest.intoto.json, manifest.dsse.json, requirements.lock.txt, wheels/).", required: true }],
  options: [
    ...targetOptions,
    root,
    { name: "trust", type: "string", description: "Local trust file the bundle is verified against before anything is sent (default ~/.zwh/trust.json or $ZWH_TRUST)." },
    { name: "keep", type: "number", defaultValue: 5, description: "How many releases to keep besides current and previous (which are never pruned): the newest N others stay, older ones are removed, so --keep 3 leaves at most 5 release directories." },
    { name: "smoke", type: "string", description: "Python code run with the new release's interpreter before activation, e.g. 'import mypkg'." },
    { name: "repair", type: "boolean", defaultValue: false, description: "Reinstall the bundle into a fresh release directory (<release>+r<n>) even when its release is current, e.g. after 'drift' found installed files modified, missing or added. The damaged tree is never reused; 'previous' becomes the damaged release, so roll back with --release, not to 'previous'." },
    { name: "dry-run", type: "boolean", defaultValue: false, description: "Print the plan (steps and why) and change nothing (only Wheelhouse's helper scripts may be installed under DIR/.wheelhouse)." },
    {
      name: "allow-downgrade", type: "boolean", defaultValue: false,
      description: "Install a bundle whose sequence is lower than the one the target accepted for its channel (a deliberate downgrade). Recorded in the target's audit log and the inventory; the target's accepted sequence is not lowered.",
    },
    {
      name: "state", type: "string",
      description: "This workstation's rollback cache, refreshed from the target and read by 'bundle verify' (default $ZWH_TRUST_STATE, else ~/.zwh/trust-state.json).",
    },
    lockTtl,
    inventory,
    ...vulnGateOptions(false),
    jsonOption,
  ],
  examples: [
    {
      description: "Deploy a bundle to an LPAR",
      args: "./bundle-app-1.4 --host lpar1 --user IBMUSER --identity ~/.ssh/id_ed25519 --root /u/apps/wheelhouse",
      zowe: "./bundle-app-1.4 --ssh-profile lpar1 --wheelhouse-profile prod",
    },
    { description: "Show what would happen, as JSON", args: "./bundle-app-1.4 --host lpar1 --user IBMUSER --root /u/apps/wheelhouse --dry-run --json" },
    { description: "Reinstall the current bundle after drift found it damaged", args: "./bundle-app-1.4 --host lpar1 --user IBMUSER --root /u/apps/wheelhouse --repair", zowe: "./bundle-app-1.4 --ssh-profile lpar1 --wheelhouse-profile prod --repair" },
    { description: "Deploy with a smoke test, keeping 3 releases besides current and previous", args: "./bundle-app-1.4 --host lpar1 --user IBMUSER --root /u/apps/wheelhouse --smoke 'import app' --keep 3" },
  ],
  handler: "deploy",
  connects: true,
};

export const rollbackCommand: CommandDef = {
  type: "command",
  name: "rollback",
  summary: "Switch a host back to its previous (or a named) release, after checking it is intact",
  description:
    "Under the deployment lock, checks that the target release's venv is runnable and that every installed file still " +
    "matches its RECORD, then swaps 'current' atomically (the release it replaces becomes 'previous'). Nothing is " +
    "uploaded or installed. Recorded in the inventory and the target's audit log. Returning to a release built from an " +
    "older bundle sequence is a deliberate downgrade: allowed, recorded as such (downgrade in the JSON, the audit log and " +
    "the inventory), and the target keeps its accepted sequence, so deploying that older bundle again needs --allow-downgrade.",
  options: [...targetOptions, root, { name: "release", zwhAliases: ["to"], type: "string", description: "Release id to switch to (default: the release 'previous' points at). zwh also accepts --to; under Zowe --to is the ssh handshake-timeout alias." },
    { name: "dry-run", type: "boolean", defaultValue: false, description: "Observe the target read-only and print the rollback plan (lock, inspect, activate, record, from and to release) without running it: no lock is taken and nothing is written on the target or recorded for the host." },
    lockTtl, inventory, jsonOption],
  examples: [
    { description: "Roll back to the previous release", args: "--host lpar1 --user IBMUSER --root /u/apps/wheelhouse", zowe: "--ssh-profile lpar1 --wheelhouse-profile prod" },
    { description: "Switch to a named release", args: "--host lpar1 --user IBMUSER --root /u/apps/wheelhouse --release app-3f2a9c1b7d4e" },
    { description: "Show the rollback plan (from, to, steps) and change nothing", args: "--host lpar1 --user IBMUSER --root /u/apps/wheelhouse --dry-run", zowe: "--ssh-profile lpar1 --wheelhouse-profile prod --dry-run" },
  ],
  handler: "rollback",
  connects: true,
};

export const statusCommand: CommandDef = {
  type: "command",
  name: "status",
  summary: "Show a host's current and previous releases, what is installed, and the lock",
  description:
    "Reads the install root on the target (links, releases and their receipts, the lock, the trust anchors) and adds " +
    "what the local inventory recorded for this host and root (last run). Read-only: a missing root is " +
    "ZWH-ROOT-NOT-FOUND, and helpers missing under the root run from a per-run /tmp directory that is removed.",
  options: [...targetOptions, root, inventory, jsonOption],
  examples: [
    { description: "Status of one root", args: "--host lpar1 --user IBMUSER --root /u/apps/wheelhouse", zowe: "--ssh-profile lpar1 --wheelhouse-profile prod" },
    { description: "Status as JSON, e.g. for a script", args: "--host lpar1 --user IBMUSER --root /u/apps/wheelhouse --json" },
  ],
  handler: "status",
  connects: true,
};

export const deployCommands: CommandDef[] = [deployCommand, rollbackCommand, statusCommand];

export const lockGroup: GroupDef = {
  type: "group",
  name: "lock",
  summary: "Inspect or break the deployment lock on a target",
  description: "Each install root on a target has one deployment lock (an atomic mkdir). These commands show who holds it, or remove a stale one.",
  children: [
    {
      type: "command",
      name: "status",
      summary: "Show who holds the deployment lock of an install root",
      description: "Prints the lock owner (user, controller host and pid, run id, bundle, since when, expiry) and whether it is stale. " +
        "Read-only, like status: a missing root is ZWH-ROOT-NOT-FOUND and nothing is written under the root.",
      options: [...targetOptions, root, jsonOption],
      examples: [{ description: "Who is deploying?", args: "--host lpar1 --user IBMUSER --root /u/apps/wheelhouse" }],
      handler: "lock/status",
      connects: true,
    },
    {
      type: "command",
      name: "break",
      summary: "Remove a deployment lock (after making sure its owner is gone)",
      description:
        "Removes the lock and prints whose lock it was. A live lock (not stale: its owner renewed it within its ttl) is " +
        "refused (ZWH-LOCK-LIVE, exit 3) unless --force, or unless its owner ran on this machine and that process is gone. " +
        "The run whose lock was broken stops before activation (ZWH-LOCK-LOST). The break, with who broke it, is written to " +
        "the target's audit log and the local inventory. With --lock-id, only that lock is removed (refused if the lock changed meanwhile).",
      options: [
        ...targetOptions, root,
        { name: "lock-id", type: "string", description: "Only break the lock with this id (as shown by 'lock status')." },
        { name: "force", type: "boolean", defaultValue: false, description: "Break a live lock too (its deploy then stops before activation). Recorded." },
        inventory, jsonOption,
      ],
      examples: [
        { description: "Break a stale lock", args: "--host lpar1 --user IBMUSER --root /u/apps/wheelhouse" },
        { description: "Break exactly the lock you inspected", args: "--host lpar1 --user IBMUSER --root /u/apps/wheelhouse --lock-id 7d0c4b8e-1f7a-4a5e-9a55-0a1c2b3d4e5f" },
        { description: "Break a live lock whose run you know is gone", args: "--host lpar1 --user IBMUSER --root /u/apps/wheelhouse --lock-id 7d0c4b8e-1f7a-4a5e-9a55-0a1c2b3d4e5f --force" },
      ],
      handler: "lock/break",
      connects: true,
    },
  ],
};
