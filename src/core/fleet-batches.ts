/**
 * Batches and stop rules of a fleet rollout (pure).
 *
 * Ansible's `serial` semantics are what operators know, so they are kept: a count or a percentage
 * per batch, the last entry repeats, the last batch takes the remainder, at least one host per
 * batch. What differs is deliberate (see docs/fleet.md and the reference's §1–§2): the canary is
 * its own batch and is never mixed with other hosts, percentages are of the hosts outside the
 * canary, a batch's failure rate is over the batch AS PLANNED with unreachable hosts counted as
 * failed, there is a cumulative limit across batches, and a batch where every host failed stops
 * the run even at 100% unless the policy explicitly says continue.
 */
import { ZwhError } from "./errors";
import { FLEET } from "./fleet-codes";
import type { Batch, FleetHostStatus, FleetStop, HostRecap, RolloutPolicy, SerialStep } from "./fleet-types";

/** The default `serial` (after the canary batch, if any): one host, then a quarter, then the rest. */
export const DEFAULT_SERIAL: SerialStep[] = [1, "25%", "100%"];

const COUNT_RE = /^[1-9][0-9]{0,8}$/;
const PERCENT_RE = /^(0|[1-9][0-9]{0,2})%$/;

/**
 * One `serial` entry from its text ("3", "25%"), or undefined when it is not one. Counts are
 * decimal digits without sign or leading zero (no "1e3", "0x10", "2.5"), at least 1; percentages
 * are 1% to 100% ("0%" would be a batch of nothing, which is always a mistake).
 */
export function serialStepOf(text: string): SerialStep | undefined {
  if (COUNT_RE.test(text)) return Number(text);
  const m = PERCENT_RE.exec(text);
  if (m) {
    const n = Number(m[1]);
    if (n >= 1 && n <= 100) return `${n}%`;
  }
  return undefined;
}

/** `--serial 1,50%,100%`: comma-separated counts and percentages (spaces around commas allowed). */
export function parseSerial(text: string): SerialStep[] {
  const parts = text.split(",").map((s) => s.trim());
  const steps: SerialStep[] = [];
  for (const p of parts) {
    const step = serialStepOf(p);
    if (step === undefined) {
      throw new ZwhError("ZWH-USAGE", `--serial '${text}': '${p}' is not a batch size (a whole number of hosts of at least 1, or a percentage from 1% to 100%)`, {
        subject: "--serial",
        hint: "Write the batch sizes as decimal counts and percentages separated by commas, e.g. --serial 1,25%,100%.",
      });
    }
    steps.push(step);
  }
  return steps;
}

/** `--max-fail-total 3` or `--max-fail-total 10%`: a count (decimal digits) or a percentage 0–100%. */
export function parseMaxFailTotal(text: string): number | `${number}%` {
  if (/^(0|[1-9][0-9]{0,6})$/.test(text)) return Number(text);
  const m = /^(0|[1-9][0-9]{0,2})%$/.exec(text);
  if (m && Number(m[1]) <= 100) return `${Number(m[1])}%`;
  throw new ZwhError("ZWH-USAGE", `--max-fail-total '${text}' is neither a number of hosts nor a percentage from 0% to 100%`, {
    subject: "--max-fail-total",
    hint: "Write a whole number of hosts in decimal digits (--max-fail-total 2) or a percentage of the targeted hosts (--max-fail-total 10%).",
  });
}

export type HostOrder = RolloutPolicy["order"];

/**
 * The hosts in the rollout order. `sorted` compares names by code unit, like Ansible (so "lpar10"
 * sorts before "lpar2"): predictable for any name, and documented.
 */
export function orderHosts(names: readonly string[], order: HostOrder): string[] {
  const out = [...names];
  switch (order) {
    case "inventory":
      return out;
    case "reverse_inventory":
      return out.reverse();
    case "sorted":
      return out.sort(byCodeUnit);
    case "reverse_sorted":
      return out.sort(byCodeUnit).reverse();
  }
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The number of hosts a step asks for out of `total` hosts (percentages floor, at least 1). */
export function stepSize(step: SerialStep, total: number): number {
  if (typeof step === "number") return step;
  const pct = Number(step.slice(0, -1));
  // Integer arithmetic: total * pct is exact, so 30% of 20 is 6, never 5.999….
  return Math.max(1, Math.floor((total * pct) / 100));
}

/**
 * The batches of a rollout over `hosts` (already in rollout order, duplicates ignored). The canary
 * hosts that are among `hosts` form batch 0 on their own; the others are cut by `serial`, whose
 * percentages are of the non-canary host count. An empty `serial` means one batch of the rest.
 */
export function planBatches(hosts: readonly string[], canaryHosts: readonly string[], serial: readonly SerialStep[]): Batch[] {
  const unique = [...new Set(hosts)];
  const canarySet = new Set(canaryHosts);
  const canary = unique.filter((h) => canarySet.has(h));
  const rest = unique.filter((h) => !canarySet.has(h));
  const batches: Batch[] = [];
  if (canary.length > 0) batches.push({ index: 0, canary: true, hosts: canary });
  const steps = serial.length > 0 ? serial : (["100%"] as SerialStep[]);
  let at = 0;
  for (let i = 0; at < rest.length; i++) {
    const size = stepSize(steps[Math.min(i, steps.length - 1)]!, rest.length);
    batches.push({ index: batches.length, canary: false, hosts: rest.slice(at, at + size) });
    at += size;
  }
  return batches;
}

/** Statuses that count against the thresholds: unreachable is a failure (ansible#7686, #82834). */
export function isFailure(status: FleetHostStatus): boolean {
  return status === "failed" || status === "unreachable";
}

function isSuccess(status: FleetHostStatus): boolean {
  return status === "ok" || status === "changed" || status === "unchanged";
}

export type StopPolicy = Pick<RolloutPolicy, "maxFailPercentage" | "maxFailTotal" | "continueOnBatchFailure">;

/** "3 of 4 (75%)" with the percentage rounded down, for messages. */
function share(n: number, of: number): string {
  return `${n} of ${of} (${of === 0 ? 0 : Math.floor((n * 100) / of)}%)`;
}

/**
 * Whether the rollout stops after `batch` finished. `hosts` holds the recaps so far (this batch
 * and the earlier ones; later batches are ignored); `targeted` is the number of hosts the whole
 * run targets (the base of a percentage maxFailTotal). The rules, first match wins:
 * 1. the canary batch tolerates no failure (ZWH-FLEET-CANARY-FAILED);
 * 2. a batch where no host succeeded and at least one failed stops unless continueOnBatchFailure,
 *    whatever the thresholds say (ZWH-FLEET-BATCH-ALL-FAILED; hosts skipped inside the batch, such
 *    as shared-filesystem peers of a failed installer, are not successes);
 * 3. failed + unreachable in the batch ÷ the batch's PLANNED size exceeds maxFailPercentage
 *    (ZWH-FLEET-BATCH-THRESHOLD);
 * 4. failed + unreachable so far exceeds maxFailTotal: a count, or a percentage of `targeted`;
 *    by default maxFailPercentage as a percentage (ZWH-FLEET-TOTAL-THRESHOLD). That default can
 *    only trip when rule 3 would have: a run's failure rate over all targeted hosts never exceeds
 *    its worst batch's rate. The cumulative limit bites when maxFailTotal is set below it.
 * Each host counts once, with its latest recap; recaps of later batches are ignored.
 * "Exceeds" is strict: with maxFailPercentage 25, 1 failure in a batch of 4 continues.
 */
export function evaluateBatch(batch: Batch, hosts: readonly HostRecap[], policy: StopPolicy, targeted: number): FleetStop | undefined {
  // One result per host, the latest (a resumed run appends a host's new result after its old one).
  const latest = new Map<string, HostRecap>();
  for (const h of hosts) if (h.batch <= batch.index) latest.set(h.host, h);
  const mine = batch.hosts.map((h) => latest.get(h)).filter((h): h is HostRecap => h !== undefined && h.batch === batch.index);
  const failed = mine.filter((h) => isFailure(h.status)).length;
  const succeeded = mine.filter((h) => isSuccess(h.status)).length;
  const planned = batch.hosts.length;
  const n = batch.index;

  if (batch.canary && failed > 0) {
    const names = mine.filter((h) => isFailure(h.status)).map((h) => h.host);
    return { code: FLEET.CANARY_FAILED, batch: n, message: `canary batch ${n} failed on ${names.join(", ")}; no other host was touched` };
  }
  if (failed > 0 && succeeded === 0 && !policy.continueOnBatchFailure) {
    return { code: FLEET.BATCH_ALL_FAILED, batch: n, message: `no host of batch ${n} succeeded (${share(failed, planned)} failed or unreachable)` };
  }
  if (failed * 100 > policy.maxFailPercentage * planned) {
    return { code: FLEET.BATCH_THRESHOLD, batch: n, message: `batch ${n}: ${share(failed, planned)} hosts failed or unreachable, more than maxFailPercentage ${policy.maxFailPercentage}%` };
  }
  const failedSoFar = [...latest.values()].filter((h) => isFailure(h.status)).length;
  const total = policy.maxFailTotal ?? (`${policy.maxFailPercentage}%` as const);
  const exceeded = typeof total === "number" ? failedSoFar > total : failedSoFar * 100 > Number(total.slice(0, -1)) * targeted;
  if (exceeded) {
    return { code: FLEET.TOTAL_THRESHOLD, batch: n, message: `${share(failedSoFar, targeted)} targeted hosts failed or unreachable so far, more than maxFailTotal ${total}` };
  }
  return undefined;
}

/**
 * Recaps for every host of the batches after the one the rollout stopped at: `skipped`, with the
 * reason and the stop's code, so no host is silently dropped from the report.
 */
export function skippedAfterStop(batches: readonly Batch[], stop: FleetStop): HostRecap[] {
  const reason = `not started: the rollout stopped after batch ${stop.batch}: ${stop.message}`;
  return batches
    .filter((b) => b.index > stop.batch)
    .flatMap((b) => b.hosts.map((host): HostRecap => ({ host, batch: b.index, status: "skipped", reason, errorCode: stop.code })));
}
