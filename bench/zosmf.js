#!/usr/bin/env node
"use strict";
/**
 * Deploy over z/OSMF vs over SSH (issue 14): the same signed bundle, the same simulated LPAR
 * (its sshd and its simulated z/OSMF, `scripts/uss-sim start --zosmf`), the same run, alternating
 * order, a fresh root each run (trust anchors installed untimed). Wall time of the whole
 * `zwh deploy --json` process for each transport, and the per-step split from the deploy JSON.
 * Not a test: prints medians and the ratio, writes bench/.out/zosmf.json.
 *
 *   npm run build
 *   node bench/zosmf.js [--wheels 9] [--mb 4] [--runs 3]
 *
 * The z/OSMF here is the SIMULATOR (test/sim/zosmf): its per-request cost is a local HTTPS
 * round trip plus a Python start for tag requests, and a BPXBATCH job is a local process, so the
 * ratio shows Wheelhouse's own overhead per transport (requests and jobs per deploy), not a real
 * z/OSMF's latency, which is higher (docs/zosmf.md).
 */
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");
const c = require("./deploy-common");

function startSimZosmf() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-bench-zosmf-"));
  fs.chmodSync(work, 0o755); // the simulator's unprivileged session user must reach its host dirs
  const simDir = path.join(work, "sim");
  const st = spawnSync(path.join(c.repo, "scripts", "uss-sim"), ["start", "--json", "--zosmf", "--dir", simDir], { encoding: "utf8" });
  if (st.status !== 0) throw new Error(`uss-sim start --zosmf failed: ${st.stderr}`);
  const h = JSON.parse(st.stdout).hosts[0];
  return {
    h, work, inventory: path.join(work, "inventory.db"),
    stop() {
      spawnSync(path.join(c.repo, "scripts", "uss-sim"), ["stop", "--dir", simDir], { encoding: "utf8" });
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

function zosmfArgs(h) {
  const z = h.zosmf;
  return ["--transport", "zosmf", "--zosmf-host", z.host, "--zosmf-port", String(z.port), "--zosmf-user", z.user,
    "--zosmf-password-env", "ZWH_BENCH_ZOSMF_PW", "--zosmf-ca-file", z.caFile, "--python", h.pythonPath];
}

async function main() {
  c.checkBuilt();
  const runs = c.arg("--runs", 3);
  const b = await c.ensureBundle(c.arg("--wheels", 9), c.arg("--mb", 4));
  const sim = startSimZosmf();
  const env = { ...process.env, ZWH_INVENTORY: sim.inventory, ZWH_BENCH_ZOSMF_PW: sim.h.zosmf.password };
  const load0 = c.loadavg();
  const res = { ssh: [], zosmf: [] };
  try {
    for (let i = 0; i < runs; i++) {
      const one = (t) => async () => {
        const root = `${sim.h.home}/bench-${t}-${i}`; // writable by the session user
        c.rmrf(root);
        const conn = t === "ssh" ? c.targetArgs(sim.h) : zosmfArgs(sim.h);
        c.must(await c.zwh(["target", "trust", ...conn, "--root", root, "--trust", b.trust, "--json"], { env }), `${t} target trust`);
        const r = await c.zwh(["deploy", b.bundle, ...conn, "--root", root, "--trust", b.trust, "--json"], { env });
        const j = JSON.parse(r.stdout);
        if (r.code !== 0 || j.action !== "install" || j.installed.length !== b.wheelFiles.length) throw new Error(`${t} run ${i}: ${JSON.stringify(j.error ?? j.action)}`);
        res[t].push({ ms: r.ms, steps: c.stepTable(j) });
        c.rmrf(root);
      };
      await c.rotate([one("ssh"), one("zosmf")], i);
      console.log(`run ${i + 1}/${runs}: ssh ${res.ssh[i].ms.toFixed(0)} ms, zosmf ${res.zosmf[i].ms.toFixed(0)} ms, ratio ${(res.zosmf[i].ms / res.ssh[i].ms).toFixed(2)}`);
    }
  } finally {
    sim.stop();
  }
  const med = (t) => c.median(res[t].map((x) => x.ms));
  const out = {
    ...c.resultHeader("zosmf", b, load0, runs),
    issue: 14,
    sshMs: c.r1(med("ssh")), zosmfMs: c.r1(med("zosmf")), ratio: c.r3(med("zosmf") / med("ssh")),
    sshSteps: c.medianSteps(res.ssh.map((x) => ({ steps: Object.entries(x.steps).map(([step, ms]) => ({ step, ms })) }))),
    zosmfSteps: c.medianSteps(res.zosmf.map((x) => ({ steps: Object.entries(x.steps).map(([step, ms]) => ({ step, ms })) }))),
    raw: res,
  };
  console.log(`median: ssh ${out.sshMs} ms, zosmf ${out.zosmfMs} ms, ratio ${out.ratio}`);
  c.writeResult("zosmf", out);
  return 0;
}

main().then((rc) => process.exit(rc), (e) => {
  console.error(`bench/zosmf: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
