#!/usr/bin/env node
"use strict";
/**
 * End-to-end deploy benchmark (issue 4): `zwh deploy` (every check: local + on-target signature
 * verification, tags, content-addressed store with on-target re-hash, hardened pip, pip check,
 * pip inspect + install-report equality, RECORD re-hash, atomic activation, audit, inventory) vs
 * bench/baseline-deploy.sh (sftp -b put of the wheels and lock file, then one ssh running
 * `python -m venv` + `pip install --no-index --find-links --require-hashes -r lock`).
 * Same bundle, same simulated host, same run, alternating order, fresh root / dir each run.
 * Not a test: prints medians and the ratio, writes bench/.out/deploy-e2e.json.
 *
 *   npx tsc -p tsconfig.json && node scripts/copy-assets.js
 *   node bench/deploy-e2e.js [--wheels 9] [--mb 22] [--runs 3] [--rtt-ms 50] [--compare-lib DIR] [--tag NAME] [--cold-host]
 *
 * Both are wall times of the whole client process (zwh: node start-up included). Goal: <= 1.2x.
 * --rtt-ms MS puts both behind the fault proxy's latency mode (bench/latency-link.js: MS/2 per
 * direction). The result also carries the deploy's round trips (exec round trips, Python
 * interpreter starts, file requests: the deploy JSON's `roundTrips`) next to the script's.
 * --compare-lib DIR adds a third contender in the same runs (rotating order): the CLI compiled
 * into DIR (e.g. the engine before an optimization), reported as `compare` with its own ratio.
 */
const fs = require("fs");
const path = require("path");
const c = require("./deploy-common");
const { latencyLink } = require("./latency-link");

const GOAL = 1.2;

/**
 * What bench/baseline-deploy.sh costs the link, by construction: one sftp session (2 mkdir, one
 * put per wheel and the lock file) and one ssh exec; Python starts: `python -m venv` (1), the
 * `ensurepip` it runs in a child interpreter (1), `pip install` (1).
 */
function baselineRoundTrips(wheels) {
  return { connections: 2, execs: 1, pythonStarts: 3, fileOps: 2 + wheels + 1 };
}

c.runBench("deploy-e2e", async ({ b, sim, load0, opts }) => {
  const RUNS = opts.runs;
  const COMPARE = opts.compareLib;
  const link = await latencyLink(sim.h, opts.rttMs);
  const h = link.h;
  const via = { ...sim, h };
  const loads = [];
  const zwhMs = [];
  const baseMs = [];
  const jsons = [];
  const cmpMs = [];
  const cmpJsons = [];
  const zwhCpu = [];
  const baseCpu = [];
  const cmpCpu = [];
  // Warm-up (untimed, like `zwh target trust`): one deploy to a scratch root, as any earlier
  // deploy on this LPAR would have done, so the host's probe cache exists (docs/deploy.md). The
  // timed runs then deploy to fresh roots of a host Wheelhouse knows. --cold-host skips it: the
  // first timed run then probes the host.
  let warmup = null;
  if (!process.argv.includes("--cold-host")) {
    const d = await c.deployFresh(sim, b, "bench-e2e-warmup", undefined, () => undefined, via);
    warmup = { ms: c.r1(d.ms), observeMs: c.stepTable(d.json).observe, targetFactsCached: d.json.targetFactsCached };
    console.log(`host warm-up (untimed): first deploy on this host ${d.ms.toFixed(0)} ms, observe ${warmup.observeMs} ms (probe${d.json.targetFactsCached ? " NOT run" : " run"})`);
  }
  for (let i = 0; i < RUNS; i++) {
    const fullInstall = (d) => {
      if (d.json.action !== "install" || d.json.installed.length !== b.wheelFiles.length) throw new Error(`run ${i}: unexpected result ${d.json.action}, ${d.json.installed.length} installed`);
    };
    const zwhRun = (libDir, ms, js, label, cpu) => async () => {
      const d = await c.deployFresh(sim, b, `bench-e2e-${label}-${i}`, libDir, fullInstall, via);
      ms.push(d.ms);
      js.push(d.json);
      cpu.push(d.targetCpu);
    };
    const doBase = async () => {
      const dir = `${sim.h.home}/bench-baseline-${i}`;
      c.rmrf(dir);
      const mark = c.cpuMark(h);
      const r = c.must(await c.run(path.join(__dirname, "baseline-deploy.sh"), [h.host, String(h.port), h.user, h.identityFile, h.knownHostsFile, h.pythonPath, b.wheelDir, b.lockFile, dir]), "baseline-deploy.sh");
      // It installed the set (not timed).
      const sp = fs.readdirSync(path.join(dir, "venv", "lib")).map((d) => path.join(dir, "venv", "lib", d, "site-packages"))[0];
      const got = fs.readdirSync(sp).filter((d) => d.startsWith("zwhbench_") && d.endsWith(".dist-info")).length;
      if (got !== b.wheelFiles.length) throw new Error(`baseline run ${i}: ${got} of ${b.wheelFiles.length} packages installed`);
      baseMs.push(r.ms);
      baseCpu.push(c.cpuSince(h, mark));
      c.rmrf(dir);
    };
    const doZwh = zwhRun(undefined, zwhMs, jsons, "zwh", zwhCpu);
    const doCmp = zwhRun(COMPARE, cmpMs, cmpJsons, "cmp", cmpCpu);
    try {
      await c.rotate(COMPARE ? [doZwh, doBase, doCmp] : [doZwh, doBase], i);
    } catch (e) {
      await link.stop();
      throw e;
    }
    loads.push(c.loadavg()[0]);
    console.log(`run ${i + 1}/${RUNS} (RTT ${link.rttMs} ms): zwh deploy ${zwhMs[i].toFixed(0)} ms (target CPU ${zwhCpu[i].cpu.toFixed(2)} s), baseline ${baseMs[i].toFixed(0)} ms (target CPU ${baseCpu[i].cpu.toFixed(2)} s), ratio ${(zwhMs[i] / baseMs[i]).toFixed(3)}${COMPARE ? `, compare-lib ${cmpMs[i].toFixed(0)} ms (ratio ${(cmpMs[i] / baseMs[i]).toFixed(3)})` : ""}, load ${loads[i]}  [steps ${JSON.stringify(c.stepTable(jsons[i]))}]`);
    console.log(`           zwh round trips ${JSON.stringify(jsons[i].roundTrips ?? null)}`);
    if (COMPARE) console.log(`           compare-lib steps ${JSON.stringify(c.stepTable(cmpJsons[i]))} round trips ${JSON.stringify(cmpJsons[i].roundTrips ?? null)}`);
  }
  await link.stop();
  const mZ = c.median(zwhMs);
  const mB = c.median(baseMs);
  const ratio = mZ / mB;
  const cpuStats = (xs) => ({
    medianCpuS: c.r3(c.median(xs.map((x) => x.cpu))), medianUserS: c.r3(c.median(xs.map((x) => x.user))),
    medianSystemS: c.r3(c.median(xs.map((x) => x.system))), runsCpuS: xs.map((x) => c.r3(x.cpu)),
    execs: c.median(xs.map((x) => x.execs)), sftpSessions: c.median(xs.map((x) => x.sftpSessions)),
  });
  const result = {
    ...c.resultHeader("deploy-e2e", b, load0, RUNS, { perRun1m: loads }),
    hostWarmup: warmup,
    rttMs: link.rttMs,
    zwh: { medianMs: c.r1(mZ), runsMs: zwhMs.map(c.r1), medianDurationMs: c.median(jsons.map((j) => j.durationMs)), medianSteps: c.medianSteps(jsons), targetCpu: cpuStats(zwhCpu), roundTrips: jsons[0].roundTrips ?? null },
    baseline: { script: "bench/baseline-deploy.sh", medianMs: c.r1(mB), runsMs: baseMs.map(c.r1), targetCpu: cpuStats(baseCpu), roundTrips: baselineRoundTrips(b.wheelFiles.length) },
    targetCpuRatio: c.r3(c.median(zwhCpu.map((x) => x.cpu)) / c.median(baseCpu.map((x) => x.cpu))),
    ratio: c.r3(ratio),
    perRunRatios: zwhMs.map((z, i) => c.r3(z / baseMs[i])),
    goal: GOAL,
    meetsGoal: ratio <= GOAL,
  };
  if (COMPARE) {
    const mC = c.median(cmpMs);
    result.compare = {
      lib: path.relative(c.repo, path.resolve(COMPARE)), medianMs: c.r1(mC), runsMs: cmpMs.map(c.r1), medianDurationMs: c.median(cmpJsons.map((j) => j.durationMs)),
      medianSteps: c.medianSteps(cmpJsons), targetCpu: cpuStats(cmpCpu), roundTrips: cmpJsons[0].roundTrips ?? null, ratioVsBaseline: c.r3(mC / mB), perRunRatios: cmpMs.map((z, i) => c.r3(z / baseMs[i])), zwhVsCompare: c.r3(mZ / mC),
    };
    console.log(`compare-lib ${COMPARE}: median ${mC.toFixed(0)} ms, ratio vs baseline ${result.compare.ratioVsBaseline}; this lib / compare-lib ${result.compare.zwhVsCompare}`);
  }
  c.writeResult("deploy-e2e", result);
  console.log(`median (RTT ${link.rttMs} ms): zwh deploy ${mZ.toFixed(0)} ms, baseline ${mB.toFixed(0)} ms, ratio ${ratio.toFixed(3)} (goal <= ${GOAL}: ${result.meetsGoal ? "met" : "NOT met"}); load ${result.loadAverage.end.join(" ")}`);
  console.log(`target CPU (user+sys, simulator SMF-30 records): zwh deploy ${result.zwh.targetCpu.medianCpuS} s, baseline ${result.baseline.targetCpu.medianCpuS} s, ratio ${result.targetCpuRatio}`);
  return 0;
});
