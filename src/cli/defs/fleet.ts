/** `fleet`: one bundle to many hosts in waves (src/fleet; docs/fleet.md). */
import type { CommandDef, GroupDef, OptionDef } from "../framework/types";
import { jsonOption } from "./options";

const FLEET_GROUP = "Fleet options";
const POLICY_GROUP = "Rollout policy (overrides the fleet file's rollout:)";

const fleetFile: OptionDef = { name: "fleet", type: "string", required: true, group: FLEET_GROUP, description: "The fleet file (YAML): targets, groups, shared filesystems and the rollout policy (docs/fleet.md)." };
const limit: OptionDef = {
  name: "limit", type: "string", group: FLEET_GROUP,
  description: "Only these hosts: comma-separated names, group names, or glob patterns (lpar*), '!' to exclude; or @FILE to read them from a file (a retry file written by an earlier run). A limit that matches nothing is an error (ZWH-FLEET-LIMIT-NOMATCH), nothing is touched.",
};
const forks: OptionDef = { name: "forks", type: "number", group: POLICY_GROUP, description: "Hosts worked on at the same time within a batch (fleet file default 10)." };
const progressDeadline: OptionDef = {
  name: "progress-deadline", type: "number", group: POLICY_GROUP,
  description: "Seconds a host may report no progress before it is failed with ZWH-FLEET-STALLED and its session closed (fleet file default).",
};
const inventory: OptionDef = {
  name: "inventory", type: "string", group: FLEET_GROUP,
  description: "Inventory store the run is recorded in: a SQLite file, or a shared PostgreSQL store as postgres://USER@HOST:PORT/DB (needed to split a fleet between controllers with --shard). Default $ZWH_INVENTORY, else ~/.zwh/inventory.db.",
};
const trust: OptionDef = { name: "trust", type: "string", group: FLEET_GROUP, description: "Trust file for targets whose fleet file entry (and defaults) name none (default ~/.zwh/trust.json or $ZWH_TRUST)." };
const shard: OptionDef = {
  name: "shard", type: "string", group: FLEET_GROUP,
  description: "K/N: take only the K-th of N deterministic shards of the selected hosts, so N controllers sharing one PostgreSQL inventory cover the fleet once. Each host is also claimed in the store before it is touched.",
};
const retryDir: OptionDef = {
  name: "retry-dir", type: "string", group: FLEET_GROUP,
  description: "Directory for the retry file (<run id>.retry, failed and unreachable hosts with the reasons, usable as --limit @FILE). Default: fleet-retry/ next to a SQLite inventory, else ~/.zwh/fleet-retry/.",
};
const bundle = { name: "bundle", description: "Bundle directory or 'bundle pack' archive.", required: true };

const policyOptions: OptionDef[] = [
  forks,
  { name: "serial", type: "string", group: POLICY_GROUP, description: "Batch sizes after the canary, comma-separated counts or percentages of the remaining hosts; the last repeats (e.g. 1,50%,100%)." },
  { name: "max-fail-percentage", type: "number", group: POLICY_GROUP, description: "Stop when failed + unreachable hosts in a batch EXCEED this percentage of the batch as planned (0 = any failure stops)." },
  { name: "max-fail-total", type: "string", group: POLICY_GROUP, description: "Stop when failed + unreachable hosts so far EXCEED this: a count (3) or a percentage of the targeted hosts (10%)." },
  { name: "continue-on-batch-failure", type: "boolean", group: POLICY_GROUP, description: "Go on after a batch where every host failed (by default such a batch stops the run, whatever the thresholds say)." },
  progressDeadline,
];

const deployExtras: OptionDef[] = [
  { name: "keep", type: "number", group: FLEET_GROUP, description: "Releases kept besides current and previous on each host (default 5)." },
  { name: "smoke", type: "string", group: FLEET_GROUP, description: "Python code run with each host's new release before activation, e.g. 'import mypkg'." },
];

export const fleetPlanCommand: CommandDef = {
  type: "command",
  name: "plan",
  summary: "Preflight a rollout on every selected host and show the batches; changes nothing",
  description:
    "Shows the batches a rollout would run (canary first) and checks every selected host with one connection and one " +
    "read-only observe each: reachable with a verified host key, the interpreter and platform against the bundle (the full " +
    "local verification against the host's facts), free space under the install root, the lock, the host's accepted " +
    "sequence for the bundle's channel, and the deploy plan (install, re-activate or nothing to do). Nothing is written on " +
    "any target and nothing is recorded. Exit 0 when every host would succeed, 2 when some would fail, 4 when some are " +
    "unreachable, 6 both.",
  positionals: [bundle],
  options: [fleetFile, limit, shard, ...policyOptions, ...deployExtras, trust, jsonOption],
  examples: [
    { description: "Preflight the whole fleet", args: "./bundle-app-1.4 --fleet fleet.yaml" },
    { description: "Preflight the canary group and lpar2 only, as JSON", args: "./bundle-app-1.4 --fleet fleet.yaml --limit canary,lpar2 --json" },
  ],
  handler: "fleet/plan",
};

export const fleetRolloutCommand: CommandDef = {
  type: "command",
  name: "rollout",
  summary: "Deploy a bundle to many hosts in waves: canary first, thresholds, one run in the inventory",
  description:
    "Verifies the bundle once locally, records one fleet run with every selected host pending and its batch, runs the " +
    "canary batch first (it must fully succeed, smoke included), then the batches of --serial with --forks hosts at once, " +
    "each host the single-host deploy over its own session. After each batch the stop rules apply: failed + unreachable " +
    "hosts exceeding --max-fail-percentage of the batch as planned, or --max-fail-total so far, or a batch where every host " +
    "failed (unless --continue-on-batch-failure). Hosts not started are recorded skipped with the reason. A host that " +
    "stops making progress for --progress-deadline seconds is failed (ZWH-FLEET-STALLED). Hosts of a shared filesystem " +
    "install once; the others verify the release. Failed and unreachable hosts are written to a retry file usable as " +
    "--limit @FILE. Exit 0 all ok, 2 some failed, 4 some unreachable, 6 both. More than one host needs --yes (no prompts).",
  positionals: [bundle],
  options: [
    fleetFile, limit, shard, ...policyOptions, ...deployExtras,
    { name: "yes", aliases: ["y"], type: "boolean", defaultValue: false, group: FLEET_GROUP, description: "Confirm a rollout to more than one host (required: the command never prompts, so it is safe in CI)." },
    { name: "lock-ttl", type: "number", group: FLEET_GROUP, description: "Seconds each host's deployment lock stays valid without a heartbeat (default 900)." },
    { name: "state", type: "string", group: FLEET_GROUP, description: "This workstation's rollback cache (default $ZWH_TRUST_STATE, else ~/.zwh/trust-state.json)." },
    retryDir, trust, inventory, jsonOption,
  ],
  examples: [
    { description: "Roll out to the whole fleet with the fleet file's policy", args: "./bundle-app-1.4 --fleet fleet.yaml --yes" },
    { description: "Canary, then half, then the rest, stopping on the first failure", args: "./bundle-app-1.4 --fleet fleet.yaml --serial 1,50%,100% --max-fail-percentage 0 --yes" },
    { description: "Retry only the hosts that failed last time", args: "./bundle-app-1.4 --fleet fleet.yaml --limit @/home/me/.zwh/fleet-retry/RUN.retry --yes" },
    { description: "First of two controllers sharing a PostgreSQL inventory", args: "./bundle-app-1.4 --fleet fleet.yaml --shard 1/2 --inventory postgres://zwh@db:5432/zwh --yes" },
  ],
  handler: "fleet/rollout",
};

export const fleetResumeCommand: CommandDef = {
  type: "command",
  name: "resume",
  summary: "Continue an interrupted or stopped fleet rollout from the inventory",
  description:
    "Reads the run's hosts and batches back from the inventory and continues in the original batch order under the same " +
    "policy, in the same run, with the same fleet file and bundle (their paths are recorded in the run). Hosts that " +
    "changed or were already current stay; pending, running and skipped hosts run; failed and unreachable hosts run again " +
    "only with --retry-failed. A host left running by a controller that was killed may still hold this run's lock: it is " +
    "taken over when its owner was this machine and that process is gone, otherwise the host fails with " +
    "ZWH-FLEET-LOCK-ORPHAN naming the owner.",
  positionals: [{ name: "run-id", description: "The fleet run to continue (printed by rollout, in its JSON and in the retry file).", required: true }],
  options: [
    { name: "retry-failed", type: "boolean", defaultValue: false, group: FLEET_GROUP, description: "Also run the hosts that failed or were unreachable again." },
    { name: "yes", aliases: ["y"], type: "boolean", defaultValue: false, group: FLEET_GROUP, description: "Confirm continuing on more than one host (required: the command never prompts)." },
    retryDir, inventory, jsonOption,
  ],
  examples: [
    { description: "Continue a rollout whose controller was killed", args: "5b0c3e5e-0d1f-4a53-9a56-2f1f5a1f3c21 --yes" },
    { description: "Continue and retry the failed hosts too", args: "5b0c3e5e-0d1f-4a53-9a56-2f1f5a1f3c21 --retry-failed --yes --json" },
  ],
  handler: "fleet/resume",
};

export const fleetRollbackCommand: CommandDef = {
  type: "command",
  name: "rollback",
  summary: "Switch many hosts back to their previous (or a named) release, in waves",
  description:
    "Each selected host goes back to its previous release (or --release), after the release is checked intact, under the " +
    "same waves and stop rules as a rollout, in one fleet run. Shared filesystems roll back once; their other hosts are " +
    "checked to see the same current release. Exit codes as for rollout.",
  options: [
    fleetFile, limit, shard, ...policyOptions,
    { name: "release", zwhAliases: ["to"], type: "string", group: FLEET_GROUP, description: "Release id to switch every selected host to (default: each host's previous release)." },
    { name: "yes", aliases: ["y"], type: "boolean", defaultValue: false, group: FLEET_GROUP, description: "Confirm a rollback of more than one host (required: the command never prompts)." },
    { name: "lock-ttl", type: "number", group: FLEET_GROUP, description: "Seconds each host's deployment lock stays valid without a heartbeat (default 900)." },
    retryDir, inventory, jsonOption,
  ],
  examples: [
    { description: "Roll the whole fleet back to the previous release", args: "--fleet fleet.yaml --yes" },
    { description: "Roll one group back to a named release", args: "--fleet fleet.yaml --limit plex1 --release app-1.3-0123456789ab --yes" },
  ],
  handler: "fleet/rollback",
};

export const fleetStatusCommand: CommandDef = {
  type: "command",
  name: "status",
  summary: "Show each fleet host's current release (read-only observe) and its last recorded run",
  description:
    "Observes every selected host read-only (one connection each; nothing is written under the root) for its current " +
    "release, bundle, sequence and lock, and adds the last run the inventory recorded for it (fleet or single-host), with " +
    "its status and error. Exit 0, or 4 when some host could not be observed.",
  options: [fleetFile, limit, forks, inventory, jsonOption],
  examples: [
    { description: "Where every host of the fleet stands", args: "--fleet fleet.yaml" },
    { description: "The canary group, as JSON", args: "--fleet fleet.yaml --limit canary --json" },
  ],
  handler: "fleet/status",
};

export const fleetGroup: GroupDef = {
  type: "group",
  name: "fleet",
  summary: "Roll a bundle out to many hosts in waves, resume, roll back, show status",
  description:
    "Fleet commands read a fleet file (targets, groups, shared filesystems, rollout policy; docs/fleet.md) and run the " +
    "single-host pipeline on many hosts in one recorded run: canary first, batches with a per-batch and a cumulative " +
    "failure threshold, a per-host progress deadline, a recap per host with the reason and error code, and a retry file.",
  children: [fleetPlanCommand, fleetRolloutCommand, fleetResumeCommand, fleetRollbackCommand, fleetStatusCommand],
};
