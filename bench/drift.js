#!/usr/bin/env node
"use strict";
/**
 * Drift benchmark (issue 11): `zwh drift` on one host with about 5,000 installed files, against
 * what a user would otherwise run on the same host in the same run: `pip check` over ssh (which
 * reads metadata only and hashes nothing) and a bare `ssh host true` (the connection floor).
 * Contenders run in rotating order; medians of --runs (default 5). Not a test.
 * Usage: node bench/drift.js [--wheels 10] [--files 500] [--runs 5]
 */
const fs = require("fs");
const path = require("path");
const c = require("./deploy-common");

async function ensureDriftBundle(n, per) {
  fs.mkdirSync(c.outDir, { recursive: true });
  const wheels = path.join(c.outDir, `drift-wheels-${n}x${per}`);
  const stamp = `${wheels}.complete`;
  if (!fs.existsSync(stamp)) {
    c.rmrf(wheels);
    c.must(await c.run("python3", [path.join(__dirname, "drift-wheels.py"), wheels, String(n), String(per)]), "drift-wheels.py");
    fs.writeFileSync(stamp, new Date().toISOString() + "\n");
  }
  const bdir = path.join(c.outDir, `drift-bundle-${n}x${per}`);
  c.rmrf(bdir);
  fs.mkdirSync(path.join(bdir, "keys"), { recursive: true });
  const bundle = path.join(bdir, "bundle");
  c.must(await c.zwh(["keys", "generate", "--out", path.join(bdir, "keys", "release")]), "keys generate");
  c.must(await c.zwh(["trust", "init", "--out", path.join(bdir, "trust.json"), "--channel", "stable"]), "trust init");
  c.must(await c.zwh(["trust", "add-key", "--trust", path.join(bdir, "trust.json"), "--key", path.join(bdir, "keys", "release.pub"), "--name", "bench"]), "trust add-key");
  c.must(await c.zwh(["bundle", "create", wheels, "--out", bundle, "--id", "zwhdrift", "--channel", "stable", "--sequence", "1",
    "--python", "3.11", "--platform", "os390-29.00-8561", "--sign-key", path.join(bdir, "keys", "release.key")]), "bundle create");
  return { bundle, trust: path.join(bdir, "trust.json") };
}

async function main() {
  c.checkBuilt();
  const n = c.arg("--wheels", 10);
  const per = c.arg("--files", 500);
  const runs = c.arg("--runs", 5);
  const b = await ensureDriftBundle(n, per);
  const sim = c.startSim();
  const load0 = c.loadavg();
  try {
    const root = `${sim.h.root}/u/drift-bench`;
    const env = c.benchEnv(sim);
    c.must(await c.zwh(["target", "trust", ...c.targetArgs(sim.h), "--root", root, "--trust", b.trust, "--json"], { env }), "target trust");
    const d = c.must(await c.zwh(["deploy", b.bundle, ...c.targetArgs(sim.h), "--root", root, "--trust", b.trust, "--json"], { env }), "deploy");
    const release = JSON.parse(d.stdout).releaseId;
    const venvPy = `${root}/releases/${release}/venv/bin/python`;
    const ssh = (cmd) => c.run("ssh", [...c.sshOpts(sim.h), "-p", String(sim.h.port), `${sim.h.user}@${sim.h.host}`, cmd]);
    const res = { drift: [], pipCheck: [], sshTrue: [] };
    let files = 0;
    const contenders = [
      async () => {
        const r = await c.zwh(["drift", ...c.targetArgs(sim.h), "--root", root, "--json"], { env });
        if (r.code !== 0) throw new Error(`drift exited ${r.code}: ${r.stdout.slice(0, 500)} ${r.stderr.slice(-500)}`);
        files = JSON.parse(r.stdout).hosts[0].filesChecked;
        res.drift.push(r.ms);
      },
      async () => res.pipCheck.push(c.must(await ssh(`PIP_CONFIG_FILE=/dev/null ${sim.h.pythonPath} -m pip --python ${venvPy} check --disable-pip-version-check`), "pip check").ms),
      async () => res.sshTrue.push(c.must(await ssh("true"), "ssh true").ms),
    ];
    for (let i = 0; i < runs; i++) await c.rotate(contenders, i);
    const med = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, c.r1(c.median(v))]));
    const out = {
      benchmark: "drift", issue: 11, date: new Date().toISOString(), machine: c.machine(),
      loadAverage: { start: load0, end: c.loadavg() }, wheels: n, installedFilesChecked: files, runs,
      medianMs: med, ratio: { driftVsPipCheck: c.r3(med.drift / med.pipCheck), driftVsSshTrue: c.r3(med.drift / med.sshTrue) }, samplesMs: res,
    };
    console.log(`drift on ${files} installed files: ${med.drift} ms; pip check ${med.pipCheck} ms; ssh true ${med.sshTrue} ms`);
    console.log(`ratio drift / pip check = ${out.ratio.driftVsPipCheck} (goal <= 2); drift / ssh true = ${out.ratio.driftVsSshTrue}`);
    c.writeResult("drift", out);
    return 0;
  } finally {
    sim.stop();
  }
}

main().then((rc) => process.exit(rc), (e) => { console.error(`bench/drift: ${e && e.message ? e.message : e}`); process.exit(1); });
