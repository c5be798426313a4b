#!/usr/bin/env node
"use strict";
/**
 * Re-deploy benchmark (issue 4): `zwh deploy` of an unchanged bundle (plan `noop`: the release is
 * current and its receipt matches) vs a full deploy of the same bundle to a fresh root.
 * Each run: fresh root → full deploy (timed) → re-deploy (timed). Not a test: prints medians and
 * the ratio, asserts the re-deploy moved 0 wheel bytes (exit 1 otherwise), writes
 * bench/.out/redeploy.json.
 *
 *   npx tsc -p tsconfig.json && node scripts/copy-assets.js
 *   node bench/redeploy.js [--wheels 9] [--mb 22] [--runs 3] [--tag NAME]
 *
 * Times are wall times of the whole CLI process (node start-up included); the deploy JSON's
 * durationMs (in-process) is reported too. Goal: re-deploy <= 5% of the full deploy, 0 bytes.
 */
const c = require("./deploy-common");

const GOAL = 0.05;

c.runBench("redeploy", async ({ b, sim, load0, opts }) => {
  const RUNS = opts.runs;
  const full = [];
  const again = [];
  const fullIn = [];
  const againIn = [];
  const againJson = [];
  const bytes = [];
  for (let i = 0; i < RUNS; i++) {
    const root = await c.freshRoot(sim, b, `bench-redeploy-${i}`);
    const f = await c.deploy(sim, b, root);
    if (f.json.action !== "install" || f.json.upload.bytes !== b.bytes) throw new Error(`run ${i}: the full deploy was ${f.json.action} with ${f.json.upload.bytes} bytes`);
    const a = await c.deploy(sim, b, root);
    const moved = a.json.upload.bytes + a.json.plan.uploadBytes + a.json.plan.upload.length;
    if (a.json.action !== "noop" || a.json.changed || moved !== 0) {
      throw new Error(`run ${i}: the re-deploy was not a 0-byte noop: action ${a.json.action}, changed ${a.json.changed}, upload ${a.json.upload.bytes} bytes, plan ${a.json.plan.uploadBytes} bytes`);
    }
    full.push(f.ms);
    again.push(a.ms);
    fullIn.push(f.json.durationMs);
    againIn.push(a.json.durationMs);
    againJson.push(a.json);
    bytes.push(a.json.upload.bytes);
    c.rmrf(root);
    console.log(`run ${i + 1}/${RUNS}: full ${f.ms.toFixed(0)} ms, re-deploy ${a.ms.toFixed(0)} ms (${a.json.upload.bytes} wheel bytes, durationMs ${a.json.durationMs}), ratio ${(a.ms / f.ms).toFixed(3)}  [re-deploy steps ${JSON.stringify(c.stepTable(a.json))}]`);
  }
  const mF = c.median(full);
  const mA = c.median(again);
  const ratio = mA / mF;
  const zeroBytes = bytes.every((x) => x === 0);
  const result = {
    ...c.resultHeader("redeploy", b, load0, RUNS),
    full: { medianMs: c.r1(mF), runsMs: full.map(c.r1), medianDurationMs: c.median(fullIn) },
    redeploy: { medianMs: c.r1(mA), runsMs: again.map(c.r1), medianDurationMs: c.median(againIn), wheelBytes: bytes, action: "noop", medianSteps: c.medianSteps(againJson) },
    ratio: c.r3(ratio),
    ratioInProcess: c.r3(c.median(againIn) / c.median(fullIn)),
    zeroBytes,
    goal: { ratio: GOAL, wheelBytes: 0 },
    meetsGoal: ratio <= GOAL && zeroBytes,
  };
  c.writeResult("redeploy", result);
  console.log(`median: full ${mF.toFixed(0)} ms, re-deploy ${mA.toFixed(0)} ms, 0 wheel bytes: ${zeroBytes ? "yes" : "NO"}; ratio ${ratio.toFixed(3)} (in-process ${result.ratioInProcess}; goal <= ${GOAL}: ${result.meetsGoal ? "met" : "NOT met"}); load ${result.loadAverage.end.join(" ")}`);
  return zeroBytes ? 0 : 1;
});
