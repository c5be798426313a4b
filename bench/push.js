#!/usr/bin/env node
"use strict";
/**
 * Push benchmark (issue 4): pushing a ~200 MB bundle with `zwh deploy` vs OpenSSH `sftp -b`
 * putting the same wheel files to the same simulated host, same run, alternating order.
 * Not a test: prints medians and ratios, writes bench/.out/push.json.
 *
 *   npx tsc -p tsconfig.json && node scripts/copy-assets.js
 *   node bench/push.js [--wheels 9] [--mb 22] [--runs 3] [--compare-lib DIR] [--tag NAME]
 *
 * --compare-lib DIR adds a third contender in the same runs (rotating order): the CLI compiled
 * into DIR (e.g. the engine before an optimization), reported as `compare`.
 *
 * zwh: the full CLI process (`zwh deploy --json`, fresh install root each run, so every wheel is
 * uploaded). Reported: the deploy JSON's `upload` step (staging clean-up, pre-create + chtag -b,
 * parallel SFTP writes, ls -T + on-target re-hash and store commit) and the whole deploy's wall time.
 * sftp: wall time of `sftp -b -` (connect, host-key check, auth, mkdir, put every wheel, close).
 * Goal: upload step <= 1.15x sftp.
 */
const fs = require("fs");
const path = require("path");
const c = require("./deploy-common");

const GOAL = 1.15;

c.runBench("push", async ({ b, sim, load0, opts }) => {
  const RUNS = opts.runs;
  const COMPARE = opts.compareLib;
  const up = [];
  const whole = [];
  const inner = [];
  const sftp = [];
  const jsons = [];
  const cmp = { up: [], whole: [], jsons: [] };
  for (let i = 0; i < RUNS; i++) {
    const fullInstall = (d) => {
      if (d.json.action !== "install" || d.json.upload.bytes !== b.bytes) throw new Error(`run ${i}: expected a full install of ${b.bytes} bytes, got ${d.json.action} ${d.json.upload.bytes}`);
    };
    const doZwh = async () => {
      const d = await c.deployFresh(sim, b, `bench-push-zwh-${i}`, undefined, fullInstall);
      up.push(d.step("upload"));
      whole.push(d.ms);
      inner.push(d.json.durationMs);
      jsons.push(d.json);
    };
    const doCmp = async () => {
      const d = await c.deployFresh(sim, b, `bench-push-cmp-${i}`, COMPARE, fullInstall);
      cmp.up.push(d.step("upload"));
      cmp.whole.push(d.ms);
      cmp.jsons.push(d.json);
    };
    const doSftp = async () => {
      const dir = `${sim.h.home}/bench-sftp-${i}`;
      c.rmrf(dir);
      const r = await c.sftpBatch(sim.h, [`mkdir "${dir}"`, ...b.wheelFiles.map((f) => `put "${f}" "${dir}/"`)]);
      // Same bytes arrived (the simulated host's paths are local paths); not timed.
      for (const f of b.wheelFiles) {
        const got = fs.statSync(path.join(dir, path.basename(f))).size;
        if (got !== fs.statSync(f).size) throw new Error(`sftp run ${i}: ${path.basename(f)} has ${got} bytes`);
      }
      sftp.push(r.ms);
      c.rmrf(dir);
    };
    await c.rotate(COMPARE ? [doZwh, doSftp, doCmp] : [doZwh, doSftp], i);
    console.log(`run ${i + 1}/${RUNS}: zwh upload step ${up[i]} ms, whole deploy ${whole[i].toFixed(0)} ms (durationMs ${inner[i]}); sftp -b ${sftp[i].toFixed(0)} ms${COMPARE ? `; compare-lib upload step ${cmp.up[i]} ms, whole ${cmp.whole[i].toFixed(0)} ms` : ""}; load ${c.loadavg()[0]}  [steps ${JSON.stringify(c.stepTable(jsons[i]))}]`);
  }
  const mUp = c.median(up);
  const mWhole = c.median(whole);
  const mSftp = c.median(sftp);
  const ratio = mUp / mSftp;
  const mibps = (ms) => c.r1(b.bytes / 2 ** 20 / (ms / 1000));
  const result = {
    ...c.resultHeader("push", b, load0, RUNS),
    zwh: {
      uploadStep: { medianMs: mUp, runsMs: up, medianMiBps: mibps(mUp) },
      wholeDeploy: { medianMs: c.r1(mWhole), runsMs: whole.map(c.r1), medianDurationMs: c.median(inner) },
      medianSteps: c.medianSteps(jsons),
    },
    sftp: { medianMs: c.r1(mSftp), runsMs: sftp.map(c.r1), medianMiBps: mibps(mSftp) },
    ratioUploadStepVsSftp: c.r3(ratio),
    ratioWholeDeployVsSftp: c.r3(mWhole / mSftp),
    goal: { uploadStepVsSftp: GOAL },
    meetsGoal: ratio <= GOAL,
  };
  if (COMPARE) {
    result.compare = {
      lib: path.relative(c.repo, path.resolve(COMPARE)),
      uploadStep: { medianMs: c.median(cmp.up), runsMs: cmp.up },
      wholeDeploy: { medianMs: c.r1(c.median(cmp.whole)), runsMs: cmp.whole.map(c.r1) },
      ratioUploadStepVsSftp: c.r3(c.median(cmp.up) / mSftp),
      medianSteps: c.medianSteps(cmp.jsons),
    };
    console.log(`compare-lib ${COMPARE}: upload step ${result.compare.uploadStep.medianMs} ms (ratio vs sftp ${result.compare.ratioUploadStepVsSftp}), whole deploy ${result.compare.wholeDeploy.medianMs} ms`);
  }
  c.writeResult("push", result);
  console.log(`median: zwh upload step ${mUp} ms (${result.zwh.uploadStep.medianMiBps} MiB/s), whole deploy ${mWhole.toFixed(0)} ms; sftp -b ${mSftp.toFixed(0)} ms (${result.sftp.medianMiBps} MiB/s)`);
  console.log(`ratio upload/sftp ${ratio.toFixed(3)} (goal <= ${GOAL}: ${result.meetsGoal ? "met" : "NOT met"}); whole deploy/sftp ${result.ratioWholeDeployVsSftp}; load ${result.loadAverage.end.join(" ")}`);
  return 0;
});
