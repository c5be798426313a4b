"use strict";
/**
 * Shared set-up for the deploy benchmarks (bench/push.js, bench/redeploy.js, bench/deploy-e2e.js).
 * Not a test. Everything goes through the real CLI (`zwh`, compiled lib/) and OpenSSH clients.
 *
 * - Wheels: generated once by bench/deploy-wheels.py, cached in bench/.out/deploy-wheels-<n>x<mb>/.
 * - Bundle: signing key, trust file and a signed bundle built from them with `zwh keys generate`,
 *   `trust init/add-key`, `bundle create --sign-key` (for CPython 3.11 on os390-29.00-8561, the
 *   simulator's interpreter), cached in bench/.out/deploy-bundle-<n>x<mb>/ (rebuilt when the
 *   wheels change or the bundle is older than 30 days; bundles expire after 90).
 * - Simulator: `scripts/uss-sim start --json` into a temp dir; every run deploys to a fresh root
 *   under the host's root directory (installed with `zwh target trust`, not timed).
 * - ZWH_LIB=<compiled lib dir> runs another build of the CLI (default ../lib).
 */
const { spawnSync, spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const repo = path.resolve(__dirname, "..");
const outDir = path.join(__dirname, ".out");
const lib = process.env.ZWH_LIB ? path.resolve(process.env.ZWH_LIB) : path.join(repo, "lib");

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const r1 = (x) => +x.toFixed(1);
const r3 = (x) => +x.toFixed(3);

function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Run a child process to completion (async, so timers elsewhere keep running); wall time in ms. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env, cwd: opts.cwd ?? repo });
    const out = [];
    const err = [];
    p.stdout.on("data", (d) => out.push(d));
    p.stderr.on("data", (d) => err.push(d));
    p.on("error", reject);
    p.on("close", (code) => {
      resolve({ code, ms: nowMs() - t0, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
    p.stdin.end(opts.input ?? "");
  });
}

function must(r, what) {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${(r.stderr || r.stdout).slice(-2000)}`);
  return r;
}

/** argv prefix running the CLI of libDir (default $ZWH_LIB, else this checkout's bin/zwh.js). */
function zwhArgv(libDir) {
  if (!libDir && !process.env.ZWH_LIB) return [path.join(repo, "bin", "zwh.js")];
  const main = path.join(libDir ? path.resolve(libDir) : lib, "cli", "zwh", "main.js");
  return ["-e", `require(${JSON.stringify(main)}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`, "--"];
}

function zwh(args, opts = {}) {
  return run(process.execPath, [...zwhArgv(opts.lib), ...args], opts);
}

/** String option (--name value). */
function sarg(name, def) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
}

function checkBuilt() {
  if (!fs.existsSync(path.join(lib, "cli", "zwh", "main.js"))) {
    throw new Error(`${lib}/cli/zwh/main.js not found; build first (npx tsc -p tsconfig.json && node scripts/copy-assets.js) or set ZWH_LIB`);
  }
}

function dirBytes(dir) {
  return fs.readdirSync(dir).filter((f) => f.endsWith(".whl")).reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);
}

/** Generated wheels + signed bundle, cached under bench/.out/. */
async function ensureBundle(n, mb) {
  fs.mkdirSync(outDir, { recursive: true });
  const wheels = path.join(outDir, `deploy-wheels-${n}x${mb}`);
  const stamp = `${wheels}.complete`;
  if (!fs.existsSync(stamp)) {
    fs.rmSync(wheels, { recursive: true, force: true });
    console.log(`generating ${n} wheels of ~${mb} MiB in ${path.relative(process.cwd(), wheels)} (once)`);
    must(await run("python3", [path.join(__dirname, "deploy-wheels.py"), wheels, String(n), String(mb)]), "deploy-wheels.py");
    fs.writeFileSync(stamp, new Date().toISOString() + "\n");
  }
  const bdir = path.join(outDir, `deploy-bundle-${n}x${mb}`);
  const bundle = path.join(bdir, "bundle");
  const bstamp = path.join(bdir, ".complete");
  const fresh = fs.existsSync(bstamp) && fs.statSync(bstamp).mtimeMs > fs.statSync(stamp).mtimeMs && Date.now() - fs.statSync(bstamp).mtimeMs < 30 * 86400e3;
  if (!fresh) {
    fs.rmSync(bdir, { recursive: true, force: true });
    fs.mkdirSync(path.join(bdir, "keys"), { recursive: true });
    console.log(`building the signed bundle in ${path.relative(process.cwd(), bdir)} (once)`);
    must(await zwh(["keys", "generate", "--out", path.join(bdir, "keys", "release")]), "zwh keys generate");
    must(await zwh(["trust", "init", "--out", path.join(bdir, "trust.json"), "--channel", "stable"]), "zwh trust init");
    must(await zwh(["trust", "add-key", "--trust", path.join(bdir, "trust.json"), "--key", path.join(bdir, "keys", "release.pub"), "--name", "bench-release"]), "zwh trust add-key");
    must(await zwh(["bundle", "create", wheels, "--out", bundle, "--id", "zwhbench", "--channel", "stable", "--sequence", "1",
      "--python", "3.11", "--platform", "os390-29.00-8561", "--sign-key", path.join(bdir, "keys", "release.key")]), "zwh bundle create");
    fs.writeFileSync(bstamp, new Date().toISOString() + "\n");
  }
  const wheelDir = path.join(bundle, "wheels");
  const wheelFiles = fs.readdirSync(wheelDir).filter((f) => f.endsWith(".whl")).sort().map((f) => path.join(wheelDir, f));
  return {
    bundle, trust: path.join(bdir, "trust.json"), wheelDir, wheelFiles,
    lockFile: path.join(bundle, "requirements.lock.txt"), bytes: dirBytes(wheelDir),
  };
}

/** Start `count` simulated LPARs (default 1) in a temp dir; returns {h (the first), hosts, work, stop()}. */
function startSim(count = 1) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-bench-deploy-"));
  fs.chmodSync(work, 0o755); // the simulator's unprivileged session user must reach sim/ below it
  const simDir = path.join(work, "sim");
  const st = spawnSync(path.join(repo, "scripts", "uss-sim"), ["start", "--json", "--hosts", String(count), "--dir", simDir], { encoding: "utf8" });
  if (st.status !== 0) throw new Error(`uss-sim start failed: ${st.stderr}`);
  const hosts = JSON.parse(st.stdout).hosts;
  if (hosts.length !== count) throw new Error(`uss-sim start: ${hosts.length} hosts started, ${count} asked for`);
  const h = hosts[0];
  return {
    h, hosts, work,
    inventory: path.join(work, "inventory.db"),
    stop() {
      spawnSync(path.join(repo, "scripts", "uss-sim"), ["stop", "--dir", simDir], { encoding: "utf8" });
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

function targetArgs(h) {
  return ["--host", h.host, "--port", String(h.port), "--user", h.user, "--identity", h.identityFile, "--known-hosts", h.knownHostsFile, "--python", h.pythonPath];
}

function sshOpts(h) {
  return [
    "-F", "/dev/null", "-i", h.identityFile, "-o", "IdentitiesOnly=yes",
    "-o", `UserKnownHostsFile=${h.knownHostsFile}`, "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
  ];
}

/** `sftp -b -` with the given batch lines; wall time of the whole client session. */
async function sftpBatch(h, lines) {
  return must(await run("sftp", [...sshOpts(h), "-P", String(h.port), "-b", "-", `${h.user}@${h.host}`], { input: lines.join("\n") + "\n" }), "sftp -b");
}

/** A fresh install root with the target's trust anchors (not timed). */
async function freshRoot(sim, b, name) {
  // under the session user's HOME: the simulated /u is root's, as on z/OS
  const root = `${sim.h.home}/${name}`;
  fs.rmSync(root, { recursive: true, force: true });
  must(await zwh(["target", "trust", ...targetArgs(sim.h), "--root", root, "--trust", b.trust, "--json"], { env: benchEnv(sim) }), "zwh target trust");
  return root;
}

function benchEnv(sim) {
  return { ...process.env, ZWH_INVENTORY: sim.inventory };
}

/** `zwh deploy --json`, wall time + parsed result. */
async function deploy(sim, b, root, extra = [], libDir = undefined) {
  const r = await zwh(["deploy", b.bundle, ...targetArgs(sim.h), "--root", root, "--trust", b.trust, "--json", ...extra], { env: benchEnv(sim), lib: libDir });
  let j;
  try {
    j = JSON.parse(r.stdout);
  } catch {
    throw new Error(`zwh deploy printed no JSON (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  }
  if (r.code !== 0 || !j.ok) throw new Error(`zwh deploy failed (exit ${r.code}): ${JSON.stringify(j.error ?? j).slice(0, 2000)}`);
  return { ms: r.ms, json: j, step: (id) => (j.steps.find((s) => s.step === id) ?? {}).ms ?? 0 };
}

function stepTable(json) {
  return Object.fromEntries(json.steps.map((s) => [s.step, s.ms]));
}

function medianSteps(list) {
  const ids = [...new Set(list.flatMap((j) => j.steps.map((s) => s.step)))];
  return Object.fromEntries(ids.map((id) => [id, median(list.map((j) => (j.steps.find((s) => s.step === id) ?? { ms: 0 }).ms))]));
}

function machine() {
  return {
    host: os.hostname(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: r1(os.totalmem() / 2 ** 30),
    node: process.version,
    openssh: spawnSync("ssh", ["-V"], { encoding: "utf8" }).stderr.trim(),
    python: spawnSync("python3", ["--version"], { encoding: "utf8" }).stdout.trim(),
  };
}

function loadavg() {
  return os.loadavg().map((x) => +x.toFixed(2));
}

function writeResult(name, result) {
  const tag = sarg("--tag");
  if (tag) name = `${name}-${tag}`;
  result.lib = path.relative(repo, lib) || ".";
  fs.mkdirSync(outDir, { recursive: true });
  const f = path.join(outDir, `${name}.json`);
  fs.writeFileSync(f, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${path.relative(process.cwd(), f)}`);
}

function rmrf(p) {
  fs.rmSync(p, { recursive: true, force: true });
}

/** The deploy benchmarks' shared options: --wheels N, --mb MB, --runs R, --compare-lib DIR, --rtt-ms MS. */
function benchOptions() {
  return { wheels: arg("--wheels", 9), mb: arg("--mb", 22), runs: arg("--runs", 3), compareLib: sarg("--compare-lib"), rttMs: arg("--rtt-ms", 0) };
}

/**
 * Run one deploy benchmark: check the build, ensure the bundle, start the simulator, call
 * body({ b, sim, load0, opts }) and stop the simulator; exits with body's return code (1 and the
 * message on an error).
 */
function runBench(name, body) {
  const go = async () => {
    checkBuilt();
    const opts = benchOptions();
    const b = await ensureBundle(opts.wheels, opts.mb);
    const sim = startSim();
    const load0 = loadavg();
    try {
      return await body({ b, sim, load0, opts });
    } finally {
      sim.stop();
    }
  };
  go().then(
    (rc) => process.exit(rc),
    (e) => {
      console.error(`bench/${name}: ${e && e.message ? e.message : e}`);
      process.exit(1);
    },
  );
}

/** The fields every deploy benchmark result starts with. */
function resultHeader(name, b, load0, runs, loadExtra = {}) {
  return {
    benchmark: name,
    issue: 4,
    date: new Date().toISOString(),
    machine: machine(),
    loadAverage: { start: load0, end: loadavg(), ...loadExtra },
    bundle: { wheels: b.wheelFiles.length, bytes: b.bytes },
    runs,
  };
}

// Target CPU (issue 9): the simulator writes one SMF-type-30-style record per exec and per SFTP
// session (<hostDir>/smf30.jsonl, test/sim/README.md). A mark before a contender and the sum of the
// records after it give the CPU the target spent for it (the whole process tree of each exec, and
// the SFTP server).
const simCtl = require(path.join(repo, "test", "sim", "controller.js"));

/** Number of accounting records of the host so far. */
function cpuMark(h) {
  return simCtl.readCpuRecords(h.hostDir).length;
}

/** Target CPU seconds (user+system, all execs and SFTP sessions) since `mark`. */
function cpuSince(h, mark) {
  return simCtl.sumCpu(simCtl.readCpuRecords(h.hostDir, mark));
}

/** Run the contenders of run i in rotating order (run 0: as given, run 1: shifted by one, ...). */
async function rotate(contenders, i) {
  for (let k = 0; k < contenders.length; k++) await contenders[(k + i) % contenders.length]();
}

/**
 * `zwh deploy` of the bundle to a fresh root (root set-up and removal not timed); check(d) throws
 * when the result is not the expected one. libDir: another compiled CLI (--compare-lib). via: the
 * sim as reached through a latency link (bench/latency-link.js) for the timed deploy.
 */
async function deployFresh(sim, b, name, libDir, check, via) {
  const root = await freshRoot(sim, b, name);
  const mark = cpuMark(sim.h);
  const d = await deploy(via ?? sim, b, root, [], libDir);
  d.targetCpu = cpuSince(sim.h, mark);
  check(d);
  rmrf(root);
  return d;
}

module.exports = {
  repo, outDir, lib, arg, sarg, median, r1, r3, nowMs, run, must, zwh, checkBuilt, ensureBundle, startSim, targetArgs, sshOpts,
  sftpBatch, freshRoot, deploy, stepTable, medianSteps, machine, loadavg, writeResult, rmrf, benchEnv,
  benchOptions, runBench, resultHeader, rotate, deployFresh, cpuMark, cpuSince, zwhArgv,
};
