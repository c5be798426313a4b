#!/usr/bin/env node
"use strict";
/**
 * Fleet rollout benchmark (issue 12): the SAME signed bundle to N (default 16) simulated LPARs,
 * in the same run, rotating order, a fresh install dir per host and run:
 *
 *   zwh      `zwh fleet rollout BUNDLE --fleet <generated fleet.yaml> --forks N --serial 100% --yes --json`
 *   ansible  `ansible-playbook -f N` (Debian ansible-core): copy the wheels and the lock file,
 *            `python -m venv`, hash-checked offline `pip install`, `pip check`, `current` symlink.
 *            Command tasks, not the `pip` module: that module imports setuptools' pkg_resources in
 *            the target interpreter before doing anything, and the simulated SDK has no setuptools
 *            (the bench proves it on one host each time it runs: see pipModuleProbe).
 *   baseline N parallel runs of bench/baseline-deploy.sh (sftp put + one ssh: venv + pip install).
 *
 * Measured per contender and run: wall time of the whole client side (all hosts), target CPU
 * summed over the hosts (the simulator's SMF-30-style records, test/sim/README.md), and
 * controller CPU (bench/child-cpu.py: the contender's process tree, plus Ansible's ssh
 * ControlPersist masters read from /proc before they are closed). Prints medians and the
 * ratios Ansible ÷ Wheelhouse and baseline ÷ Wheelhouse; writes bench/.out/fleet.json. Not a test.
 *
 *   npm run build
 *   node bench/fleet.js [--hosts 16] [--runs 2] [--wheels 6] [--mb 2] [--rtt-ms 50] [--only zwh,ansible,baseline] [--profile] [--tag NAME]
 *
 * --profile: after the timed runs, one more `zwh fleet rollout` without --json: its plain
 * progress lines (stderr, no TTY) give each host's step times (not part of the ratios).
 *
 * Needs `ansible-playbook` (Debian ansible-core, installed by scripts/lib/setup.sh): without it
 * the bench stops with an error, it does not skip the column.
 */
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const YAML = require("yaml");
const c = require("./deploy-common");
const { latencyLink } = require("./latency-link");

const simCtl = require(path.join(c.repo, "test", "sim", "controller.js"));

const GOAL = 3; // Ansible ÷ Wheelhouse wall time, at least
const ZOS_ENV = {
  // the z/OS environment block every Wheelhouse exec carries (src/remote/env-block.ts); the
  // playbook sets the same, as ibm_zos_core's documentation asks of playbooks for z/OS
  _BPXK_AUTOCVT: "ON", _CEE_RUNOPTS: "FILETAG(AUTOCVT,AUTOTAG) POSIX(ON)",
  _TAG_REDIR_IN: "txt", _TAG_REDIR_OUT: "txt", _TAG_REDIR_ERR: "txt", LANG: "C",
};

function opts() {
  const only = (c.sarg("--only", "zwh,ansible,baseline") || "").split(",").filter(Boolean);
  for (const o of only) if (!["zwh", "ansible", "baseline"].includes(o)) throw new Error(`--only: unknown contender "${o}" (zwh, ansible, baseline)`);
  return { hosts: c.arg("--hosts", 16), runs: c.arg("--runs", 2), wheels: c.arg("--wheels", 6), mb: c.arg("--mb", 2), rttMs: c.arg("--rtt-ms", 0), only, profile: process.argv.includes("--profile") };
}

/** `ansible-playbook` is required: a missing tool is an error, not a skipped column. */
function requireAnsible() {
  const v = spawnSync("ansible-playbook", ["--version"], { encoding: "utf8" });
  if (v.error || v.status !== 0) {
    throw new Error("ansible-playbook not found: install Debian ansible-core (scripts/lib/setup.sh does, via zwh_setup; or apt-get install -y --no-install-recommends ansible-core)");
  }
  return v.stdout.split("\n")[0].trim();
}

/** Run a client process under bench/child-cpu.py: {code, ms, stdout, stderr, cpu: {user, system}}. */
async function measured(cmd, args, o = {}) {
  const r = await c.run("python3", [path.join(__dirname, "child-cpu.py"), cmd, ...args], o);
  const m = /ZWH-BENCH-CHILD-CPU (\{.*\})\s*$/.exec(r.stderr);
  if (!m) throw new Error(`child-cpu.py printed no CPU line for ${cmd} (exit ${r.code}): ${r.stderr.slice(-1000)}`);
  return { ...r, stderr: r.stderr.slice(0, m.index), cpu: JSON.parse(m[1]) };
}

/** Target CPU: one mark per host before, the sum over every host after. */
function markAll(hosts) {
  return hosts.map((h) => c.cpuMark(h));
}
function cpuSinceAll(hosts, marks) {
  const t = { execs: 0, sftpSessions: 0, user: 0, system: 0, cpu: 0 };
  hosts.forEach((h, k) => {
    const s = c.cpuSince(h, marks[k]);
    for (const f of Object.keys(t)) t[f] += s[f];
  });
  t.byCommand = targetProfile(hosts, marks);
  return t;
}

/**
 * What a target exec was, for the profile: the Python file it ran (helper, pip runner, Ansible's
 * AnsiballZ module) with its sub-command, `python -m X`, or the first command word; the z/OS
 * environment block and Ansible's `/bin/sh -c '…'` wrapper are skipped. A batch of commands is
 * labelled by its first Python file (zwh's `pip check` exec also runs `pip inspect`).
 */
function commandLabel(rec) {
  if (rec.kind === "sftp") return "sftp session";
  const cmd = rec.command.replace(/^export [^;]*;\s*/, "").replace(/^\/bin\/sh -c '/, "").replace(/^[(\s]+/, "");
  const py = /(?:^|[\s/])([A-Za-z_][\w-]*?)(?:-[0-9a-f]{8,})?\.py(?=['"\s]|$)(?:['"\s]+([a-z][\w-]*))?/.exec(cmd);
  // a Python file run by an interpreter (not `chmod u+x …/AnsiballZ_copy.py`, `rm -f x.py`)
  if (py && /python/.test(cmd.slice(0, py.index))) return py[2] && !py[1].startsWith("AnsiballZ") ? `${py[1]} ${py[2]}` : py[1];
  const m = /python[\d.]*['"]?\s+(?:-[A-Za-z]+\s+)*-m\s+([\w.]+)/.exec(cmd);
  if (m) return `python -m ${m[1]}`;
  return path.basename(cmd.split(/\s+/)[0] || "?");
}

/** Target CPU and elapsed seconds by command label, summed over the hosts, largest CPU first. */
function targetProfile(hosts, marks) {
  const by = new Map();
  hosts.forEach((h, k) => {
    for (const r of simCtl.readCpuRecords(h.hostDir, marks[k])) {
      const l = commandLabel(r);
      const e = by.get(l) ?? { n: 0, cpu: 0, elapsed: 0 };
      e.n++;
      e.cpu += r.cpu;
      e.elapsed += r.elapsed;
      by.set(l, e);
    }
  });
  return Object.fromEntries([...by].sort((a, b) => b[1].cpu - a[1].cpu).map(([l, e]) => [l, { n: e.n, cpu: c.r1(e.cpu), elapsed: c.r1(e.elapsed) }]));
}

function topCommands(byCommand, n = 6) {
  return Object.entries(byCommand).slice(0, n).map(([l, e]) => `${l} ×${e.n} ${e.cpu} s`).join(", ");
}

/** The distributions installed in a venv (local view of the simulated host's file system). */
function installedDists(venv) {
  const lib = path.join(venv, "lib");
  if (!fs.existsSync(lib)) return [];
  const out = [];
  for (const d of fs.readdirSync(lib)) {
    const sp = path.join(lib, d, "site-packages");
    if (fs.existsSync(sp)) out.push(...fs.readdirSync(sp).filter((x) => x.startsWith("zwhbench_") && x.endsWith(".dist-info")));
  }
  return out;
}

function checkInstalled(what, hostName, venv, want) {
  const got = installedDists(venv).length;
  if (got !== want) throw new Error(`${what}: ${hostName}: ${got} of ${want} packages installed in ${venv}`);
}

/** Run fn over items with at most `limit` at once. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      out[k] = await fn(items[k], k);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Wheelhouse: `zwh fleet rollout`

/** The fleet file for this run: one target per simulated host, each with its own fresh root. */
function writeFleetFile(ctx, dir, roots) {
  const targets = {};
  ctx.hosts.forEach((h, k) => {
    targets[h.name] = { host: h.host, port: h.port, user: h.user, identity: h.identityFile, knownHosts: h.knownHostsFile, root: roots[k], python: h.pythonPath };
  });
  const doc = { defaults: { trust: ctx.b.trust }, targets, rollout: { serial: ["100%"], forks: ctx.o.hosts } };
  const f = path.join(dir, "fleet.yaml");
  fs.writeFileSync(f, YAML.stringify(doc));
  return f;
}

async function runZwh(ctx, i, profile = false) {
  const roots = ctx.hosts.map((h) => `${h.home}/bench-fleet-${i}`);
  roots.forEach(c.rmrf);
  // the targets' trust anchors, as an operator installs them once per root (not timed)
  await pool(ctx.hosts, 4, async (h, k) => c.must(await c.zwh(["target", "trust", ...c.targetArgs(ctx.simHosts[k]), "--root", roots[k], "--trust", ctx.b.trust, "--json"], { env: ctx.env }), `zwh target trust ${h.name}`));
  const fleetFile = writeFleetFile(ctx, ctx.work, roots);
  const marks = markAll(ctx.simHosts);
  // profile: the human form, whose plain progress lines on stderr (no TTY) time each host's steps
  const r = await measured(process.execPath, [...c.zwhArgv(), "fleet", "rollout", ctx.b.bundle, "--fleet", fleetFile,
    "--forks", String(ctx.o.hosts), "--serial", "100%", "--yes", ...(profile ? [] : ["--json"])], { env: { ...ctx.env, NO_COLOR: "1" } });
  const targetCpu = cpuSinceAll(ctx.simHosts, marks);
  if (profile) {
    if (r.code !== 0) throw new Error(`zwh fleet rollout (profile run) exited ${r.code}: ${r.stdout.slice(-1500)} ${r.stderr.slice(-1500)}`);
    ctx.hosts.forEach((h, k) => checkInstalled("zwh fleet rollout", h.name, path.join(roots[k], "current", "venv"), ctx.b.wheelFiles.length));
    roots.forEach(c.rmrf);
    return { ms: r.ms, targetCpu, controllerCpu: r.cpu, steps: stepsFromProgress(r.stderr, ctx.hosts.map((h) => h.name)) };
  }
  let recap;
  try {
    recap = JSON.parse(r.stdout);
  } catch {
    throw new Error(`zwh fleet rollout printed no JSON (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  }
  if (r.code !== 0) throw new Error(`zwh fleet rollout exited ${r.code}: ${JSON.stringify(recap).slice(0, 3000)}`);
  const hostsOut = recap.hosts ?? recap.recap?.hosts ?? [];
  const notChanged = hostsOut.filter((x) => x.status !== "changed");
  if (hostsOut.length !== ctx.o.hosts || notChanged.length) throw new Error(`zwh fleet rollout: expected ${ctx.o.hosts} hosts changed, got ${JSON.stringify(hostsOut).slice(0, 2000)}`);
  ctx.hosts.forEach((h, k) => checkInstalled("zwh fleet rollout", h.name, path.join(roots[k], "current", "venv"), ctx.b.wheelFiles.length));
  roots.forEach(c.rmrf);
  return { ms: r.ms, targetCpu, controllerCpu: r.cpu, recap };
}

/**
 * Per-step seconds from the plain progress lines ("<ISO time, 1 s> <host> batch N <step>"): a step
 * lasts until the host's next line. Median and max over the hosts, per step, in the order seen.
 */
function stepsFromProgress(stderr, hostNames) {
  const names = new Set(hostNames);
  const per = new Map(); // host -> [{step, t}]
  for (const line of stderr.split("\n")) {
    const m = /^(\S+Z) (\S+) batch \d+ (.+)$/.exec(line); // the step's title, e.g. "Verify the bundle locally against the target"
    if (!m || !names.has(m[2])) continue;
    const list = per.get(m[2]) ?? [];
    list.push({ step: m[3], t: Date.parse(m[1]) });
    per.set(m[2], list);
  }
  const by = new Map();
  for (const list of per.values()) {
    for (let k = 0; k + 1 < list.length; k++) {
      const xs = by.get(list[k].step) ?? [];
      xs.push((list[k + 1].t - list[k].t) / 1000);
      by.set(list[k].step, xs);
    }
  }
  if (by.size === 0) throw new Error(`zwh fleet rollout (profile run): no progress lines on stderr: ${stderr.slice(0, 1000)}`);
  return Object.fromEntries([...by].map(([st, xs]) => [st, { medianS: c.median(xs), maxS: Math.max(...xs), hosts: xs.length }]));
}

/** Per-host durations and deploy steps, when the recap carries them (median per step over hosts). */
function zwhProfile(recap) {
  const hosts = recap.hosts ?? recap.recap?.hosts ?? [];
  const dur = hosts.map((h) => h.durationMs).filter((x) => typeof x === "number");
  const stepLists = hosts.map((h) => h.steps).filter(Array.isArray);
  const steps = stepLists.length ? c.medianSteps(stepLists.map((s) => ({ steps: s }))) : null;
  const maxSteps = stepLists.length
    ? Object.fromEntries(Object.keys(steps).map((id) => [id, Math.max(...stepLists.map((s) => (s.find((x) => x.step === id) ?? { ms: 0 }).ms))]))
    : null;
  return {
    hostMs: dur.length ? { min: Math.min(...dur), median: c.median(dur), max: Math.max(...dur) } : null,
    medianSteps: steps, maxSteps, runDurationMs: recap.durationMs ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Ansible

function ansibleInventory(ctx, dirName) {
  const hosts = {};
  for (const h of ctx.hosts) {
    hosts[h.name] = {
      ansible_host: h.host, ansible_port: h.port, ansible_user: h.user,
      ansible_python_interpreter: h.pythonPath,
      // the host's own identity and known_hosts; StrictHostKeyChecking=yes with host_key_checking on
      ansible_ssh_common_args: ["-F", "/dev/null", "-i", h.identityFile, "-o", "IdentitiesOnly=yes", "-o", `UserKnownHostsFile=${h.knownHostsFile}`,
        "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes"].join(" "),
      ansible_remote_tmp: `${h.home}/.ansible/tmp`,
      zwh_root: `${h.home}/${dirName}`,
    };
  }
  return { lpars: { hosts } };
}

function playbook(ctx, releaseId) {
  const rel = "{{ zwh_root }}/releases/" + releaseId;
  const venvPy = `${rel}/venv/bin/python`;
  return [{
    name: "deploy the bench wheel set",
    hosts: "lpars",
    gather_facts: false,
    environment: ZOS_ENV,
    tasks: [
      { name: "wheels", "ansible.builtin.copy": { src: ctx.b.wheelDir + "/", dest: `${rel}/wheels/`, mode: "0644" } },
      { name: "lock file", "ansible.builtin.copy": { src: ctx.b.lockFile, dest: `${rel}/requirements.lock.txt`, mode: "0644" } },
      { name: "venv", "ansible.builtin.command": { argv: ["{{ ansible_python_interpreter }}", "-m", "venv", `${rel}/venv`], creates: venvPy } },
      { name: "pip install (offline, hashes required)", "ansible.builtin.command": { argv: [venvPy, "-m", "pip", "install", "--no-index", "--find-links", `${rel}/wheels`, "--require-hashes", "-r", `${rel}/requirements.lock.txt`] } },
      { name: "pip check", "ansible.builtin.command": { argv: [venvPy, "-m", "pip", "check"] }, changed_when: false },
      { name: "activate", "ansible.builtin.file": { src: rel, dest: "{{ zwh_root }}/current", state: "link" } },
    ],
  }];
}

/** The pip module's playbook (what the issue asked for): used once per bench run to show why it cannot run. */
function pipModulePlaybook(ctx) {
  return [{
    hosts: "lpars", gather_facts: false, environment: ZOS_ENV,
    tasks: [
      { name: "wheels", "ansible.builtin.copy": { src: ctx.b.wheelDir + "/", dest: "{{ zwh_root }}/wheels/", mode: "0644" } },
      { name: "lock file", "ansible.builtin.copy": { src: ctx.b.lockFile, dest: "{{ zwh_root }}/requirements.lock.txt", mode: "0644" } },
      { name: "pip module", "ansible.builtin.pip": {
        requirements: "{{ zwh_root }}/requirements.lock.txt", virtualenv: "{{ zwh_root }}/venv",
        virtualenv_command: "{{ ansible_python_interpreter }} -m venv", extra_args: "--no-index --find-links {{ zwh_root }}/wheels --require-hashes",
      } },
    ],
  }];
}

function ansibleEnv(ctx, cpDir) {
  return {
    ...process.env,
    ANSIBLE_CONFIG: ctx.ansibleCfg,
    // bench/ansible/zwh_bench_json.py: ansible-core has no JSON callback of its own
    ANSIBLE_CALLBACK_PLUGINS: path.join(__dirname, "ansible"),
    ANSIBLE_STDOUT_CALLBACK: "zwh_bench_json",
    // a fresh ControlPath dir per run, so a run never reuses the previous run's ssh masters
    ANSIBLE_SSH_CONTROL_PATH_DIR: cpDir,
    ANSIBLE_LOCAL_TEMP: path.join(ctx.work, "ansible-local"),
    ANSIBLE_NOCOLOR: "1",
  };
}

/** CPU of the ssh ControlPersist masters Ansible left running (from /proc), then close them. */
function closeControlMasters(cpDir) {
  const tick = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
  let user = 0;
  let system = 0;
  const socks = fs.existsSync(cpDir) ? fs.readdirSync(cpDir) : [];
  for (const s of socks) {
    const sock = path.join(cpDir, s);
    const chk = spawnSync("ssh", ["-o", `ControlPath=${sock}`, "-O", "check", "bench-master"], { encoding: "utf8" });
    const m = /pid=(\d+)/.exec(chk.stderr + chk.stdout);
    if (m) {
      try {
        const f = fs.readFileSync(`/proc/${m[1]}/stat`, "utf8");
        const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
        user += Number(rest[11]) / tick; // utime is field 14: 12th after the comm
        system += Number(rest[12]) / tick;
      } catch {
        // the master exited on its own between check and read
      }
    }
    spawnSync("ssh", ["-o", `ControlPath=${sock}`, "-O", "exit", "bench-master"], { encoding: "utf8" });
  }
  fs.rmSync(cpDir, { recursive: true, force: true });
  return { user, system, masters: socks.length };
}

function parseAnsibleJson(r, what) {
  try {
    return JSON.parse(r.stdout.slice(r.stdout.indexOf("{")));
  } catch {
    throw new Error(`${what}: ansible-playbook printed no JSON (exit ${r.code}): ${(r.stderr || r.stdout).slice(-2000)}`);
  }
}

async function runAnsible(ctx, i) {
  const dirName = `bench-ansible-${i}`;
  const dir = path.join(ctx.work, `ansible-${i}`);
  fs.mkdirSync(dir, { recursive: true });
  ctx.hosts.forEach((h) => c.rmrf(`${h.home}/${dirName}`));
  // JSON (valid YAML for Ansible's YAML 1.1 loader, with every string quoted: unquoted ON is a boolean there)
  const inv = path.join(dir, "inventory.json");
  fs.writeFileSync(inv, JSON.stringify(ansibleInventory(ctx, dirName), null, 1));
  const pb = path.join(dir, "deploy.json");
  fs.writeFileSync(pb, JSON.stringify(playbook(ctx, `r${i}`), null, 1));
  const cpDir = path.join(dir, "cp");
  const marks = markAll(ctx.simHosts);
  const r = await measured("ansible-playbook", ["-i", inv, "-f", String(ctx.o.hosts), pb], { env: ansibleEnv(ctx, cpDir), cwd: dir });
  const targetCpu = cpuSinceAll(ctx.simHosts, marks);
  const masters = closeControlMasters(cpDir);
  const j = parseAnsibleJson(r, "ansible run");
  const stats = j.stats ?? {};
  const bad = Object.entries(stats).filter(([, s]) => s.failures || s.unreachable);
  if (r.code !== 0 || Object.keys(stats).length !== ctx.o.hosts || bad.length) {
    throw new Error(`ansible-playbook exited ${r.code}; stats ${JSON.stringify(stats).slice(0, 1500)}; ${JSON.stringify(firstFailure(j)).slice(0, 1500)}`);
  }
  ctx.hosts.forEach((h) => checkInstalled("ansible", h.name, `${h.home}/${dirName}/current/venv`, ctx.b.wheelFiles.length));
  ctx.hosts.forEach((h) => c.rmrf(`${h.home}/${dirName}`));
  const controllerCpu = { user: r.cpu.user + masters.user, system: r.cpu.system + masters.system, sshMasters: masters.masters };
  return { ms: r.ms, targetCpu, controllerCpu, tasks: ansibleTaskTimes(j) };
}

function firstFailure(j) {
  for (const p of j.plays ?? []) {
    for (const t of p.tasks ?? []) {
      for (const [h, res] of Object.entries(t.hosts ?? {})) if (res.failed || res.unreachable) return { task: t.task?.name, host: h, msg: res.msg, stderr: res.stderr, exception: (res.exception || "").split("\n").slice(-3).join(" ") };
    }
  }
  return null;
}

/** Wall time per task (the linear strategy runs each task on every host before the next one). */
function ansibleTaskTimes(j) {
  const out = {};
  for (const p of j.plays ?? []) {
    for (const t of p.tasks ?? []) {
      const d = t.task?.duration;
      if (d?.start && d?.end) out[t.task.name] = Date.parse(d.end) - Date.parse(d.start);
    }
  }
  return out;
}

/** The issue's first choice, the `pip` module, on one host: it must fail, and the bench records why. */
async function pipModuleProbe(ctx) {
  const h = ctx.hosts[0];
  const dir = path.join(ctx.work, "pip-module");
  fs.mkdirSync(dir, { recursive: true });
  const inv = path.join(dir, "inventory.json");
  fs.writeFileSync(inv, JSON.stringify(ansibleInventory({ ...ctx, hosts: [h] }, "bench-pip-module"), null, 1));
  const pb = path.join(dir, "pip.json");
  fs.writeFileSync(pb, JSON.stringify(pipModulePlaybook(ctx), null, 1));
  const cpDir = path.join(dir, "cp");
  const r = await c.run("ansible-playbook", ["-i", inv, pb], { env: ansibleEnv(ctx, cpDir), cwd: dir });
  closeControlMasters(cpDir);
  c.rmrf(`${h.home}/bench-pip-module`);
  const j = parseAnsibleJson(r, "pip module probe");
  const f = firstFailure(j);
  if (r.code === 0 || !f) {
    throw new Error("the ansible pip module now works on the simulated SDK: switch the Ansible column back to it (bench/fleet.js playbook)");
  }
  if (f.task !== "pip module" || !/setuptools/.test(f.msg ?? "")) {
    throw new Error(`the ansible pip module probe failed for another reason than the missing setuptools: task "${f.task}": ${f.msg} ${f.stderr ?? ""}`);
  }
  return { task: f.task, message: f.msg, exception: f.exception };
}

// ---------------------------------------------------------------------------------------------
// Baseline: N parallel bench/baseline-deploy.sh

async function runBaseline(ctx, i) {
  const dirs = ctx.hosts.map((h) => `${h.home}/bench-baseline-${i}`);
  dirs.forEach(c.rmrf);
  const marks = markAll(ctx.simHosts);
  const t0 = c.nowMs();
  const rs = await Promise.all(ctx.hosts.map((h, k) => measured(path.join(__dirname, "baseline-deploy.sh"),
    [h.host, String(h.port), h.user, h.identityFile, h.knownHostsFile, h.pythonPath, ctx.b.wheelDir, ctx.b.lockFile, dirs[k]])));
  const ms = c.nowMs() - t0;
  const targetCpu = cpuSinceAll(ctx.simHosts, marks);
  rs.forEach((r, k) => {
    if (r.code !== 0) throw new Error(`baseline-deploy.sh ${ctx.hosts[k].name} exited ${r.code}: ${r.stderr.slice(-1500)}`);
  });
  ctx.hosts.forEach((h, k) => checkInstalled("baseline", h.name, `${dirs[k]}/venv`, ctx.b.wheelFiles.length));
  dirs.forEach(c.rmrf);
  const controllerCpu = { user: rs.reduce((a, r) => a + r.cpu.user, 0), system: rs.reduce((a, r) => a + r.cpu.system, 0) };
  const each = rs.map((r) => r.ms);
  return { ms, targetCpu, controllerCpu, perHostMs: { min: Math.min(...each), median: c.median(each), max: Math.max(...each) } };
}

// ---------------------------------------------------------------------------------------------

function uptime() {
  return spawnSync("uptime", [], { encoding: "utf8" }).stdout.trim();
}

/** The build under test must have `zwh fleet rollout` (issue 12's runner). */
function requireFleetRollout() {
  const r = spawnSync(process.execPath, [...c.zwhArgv(), "fleet", "rollout", "--help"], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`this build has no \`zwh fleet rollout\` (${(r.stderr || r.stdout).trim().split("\n")[0]}); build a tree that has it, or measure the other columns alone with --only ansible,baseline`);
  }
}

async function main() {
  c.checkBuilt();
  const o = opts();
  if (o.only.includes("zwh")) requireFleetRollout();
  const ansibleVersion = o.only.includes("ansible") ? requireAnsible() : null;
  const b = await c.ensureBundle(o.wheels, o.mb);
  console.log(`starting ${o.hosts} simulated LPARs`);
  const sim = c.startSim(o.hosts);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-bench-fleet-"));
  const links = [];
  const load0 = c.loadavg();
  const uptimes = [uptime()];
  try {
    for (const h of sim.hosts) links.push(await latencyLink(h, o.rttMs));
    const ansibleCfg = path.join(work, "ansible.cfg");
    fs.writeFileSync(ansibleCfg, "[defaults]\nhost_key_checking = True\nretry_files_enabled = False\ninterpreter_python = auto_silent\n");
    const ctx = {
      o, b, work, ansibleCfg,
      simHosts: sim.hosts, // CPU accounting and target trust (direct)
      hosts: links.map((l) => l.h), // what the contenders connect to (through the latency link when --rtt-ms)
      env: { ...process.env, ZWH_INVENTORY: path.join(work, "inventory.db") },
    };
    const pipModule = ansibleVersion ? await pipModuleProbe(ctx) : null;
    if (pipModule) console.log(`ansible pip module on the simulated SDK: FAILS (${pipModule.message}); the Ansible column uses command tasks`);
    const res = { zwh: [], ansible: [], baseline: [] };
    const fns = { zwh: runZwh, ansible: runAnsible, baseline: runBaseline };
    const loads = [];
    for (let i = 0; i < o.runs; i++) {
      const contenders = o.only.map((name) => async () => {
        const r = await fns[name](ctx, i);
        r.load1 = c.loadavg()[0];
        res[name].push(r);
        console.log(`run ${i + 1}/${o.runs} ${name.padEnd(8)} ${(r.ms / 1000).toFixed(1)} s wall, target CPU ${r.targetCpu.cpu.toFixed(1)} s (${r.targetCpu.execs} execs, ${r.targetCpu.sftpSessions} sftp), controller CPU ${(r.controllerCpu.user + r.controllerCpu.system).toFixed(1)} s, load ${r.load1}`);
        console.log(`           target CPU by command (all hosts): ${topCommands(r.targetCpu.byCommand)}`);
        if (name === "zwh") console.log(`           zwh per host ${JSON.stringify(zwhProfile(r.recap))}`);
        if (name === "ansible") console.log(`           ansible per task ${JSON.stringify(r.tasks)}`);
      });
      await c.rotate(contenders, i);
      loads.push(c.loadavg()[0]);
      uptimes.push(uptime());
    }
    let profileRun = null;
    if (o.profile && o.only.includes("zwh")) {
      // one more rollout after the timed runs, in the human form, for the per-host step times
      const r = await runZwh(ctx, o.runs, true);
      profileRun = { ms: c.r1(r.ms), targetCpuS: c.r3(r.targetCpu.cpu), load1: c.loadavg()[0], steps: r.steps };
      console.log(`profile run (zwh fleet rollout, plain progress) ${(r.ms / 1000).toFixed(1)} s wall; per-host step seconds (median / max over hosts, 1 s resolution):`);
      console.log("           " + Object.entries(r.steps).map(([st, v]) => `${st} ${v.medianS}/${v.maxS}`).join(", "));
    }
    const summary = {};
    for (const name of o.only) {
      const xs = res[name];
      summary[name] = {
        medianMs: c.r1(c.median(xs.map((x) => x.ms))), runsMs: xs.map((x) => c.r1(x.ms)),
        targetCpuS: c.r3(c.median(xs.map((x) => x.targetCpu.cpu))), targetCpuRunsS: xs.map((x) => c.r3(x.targetCpu.cpu)),
        targetExecs: c.median(xs.map((x) => x.targetCpu.execs)), targetSftpSessions: c.median(xs.map((x) => x.targetCpu.sftpSessions)),
        controllerCpuS: c.r3(c.median(xs.map((x) => x.controllerCpu.user + x.controllerCpu.system))),
        load1PerRun: xs.map((x) => x.load1),
        targetByCommand: xs.map((x) => x.targetCpu.byCommand),
      };
    }
    if (res.zwh.length) summary.zwh.profile = res.zwh.map((r) => zwhProfile(r.recap));
    if (res.ansible.length) summary.ansible.taskMs = res.ansible.map((r) => r.tasks);
    if (res.baseline.length) summary.baseline.perHostMs = res.baseline.map((r) => r.perHostMs);
    const ratio = (a, z, f) => (summary[a] && summary[z] ? c.r3(summary[a][f] / summary[z][f]) : null);
    const ratios = {
      ansibleOverZwh: ratio("ansible", "zwh", "medianMs"), baselineOverZwh: ratio("baseline", "zwh", "medianMs"),
      ansibleOverBaseline: ratio("ansible", "baseline", "medianMs"),
      targetCpuAnsibleOverZwh: ratio("ansible", "zwh", "targetCpuS"), targetCpuBaselineOverZwh: ratio("baseline", "zwh", "targetCpuS"),
    };
    const out = {
      benchmark: "fleet", issue: 12, date: new Date().toISOString(), machine: c.machine(), ansible: ansibleVersion,
      loadAverage: { start: load0, end: c.loadavg(), perRun1m: loads }, uptime: uptimes,
      hosts: o.hosts, rttMs: o.rttMs, bundle: { wheels: b.wheelFiles.length, bytes: b.bytes }, runs: o.runs,
      ansiblePipModule: pipModule, summary, ratios, zwhProfileRun: profileRun, goal: `ansible / zwh >= ${GOAL}`,
      meetsGoal: ratios.ansibleOverZwh === null ? null : ratios.ansibleOverZwh >= GOAL,
    };
    for (const name of o.only) {
      const s = summary[name];
      console.log(`median ${name.padEnd(8)} ${(s.medianMs / 1000).toFixed(1)} s wall, target CPU ${s.targetCpuS.toFixed(1)} s, controller CPU ${s.controllerCpuS.toFixed(1)} s`);
    }
    console.log(`ratios (wall): ansible / zwh = ${ratios.ansibleOverZwh ?? "-"} (goal >= ${GOAL}: ${out.meetsGoal === null ? "not measured" : out.meetsGoal ? "met" : "NOT met"}), baseline / zwh = ${ratios.baselineOverZwh ?? "-"}, ansible / baseline = ${ratios.ansibleOverBaseline ?? "-"}`);
    console.log(`ratios (target CPU): ansible / zwh = ${ratios.targetCpuAnsibleOverZwh ?? "-"}, baseline / zwh = ${ratios.targetCpuBaselineOverZwh ?? "-"}`);
    console.log(`load: ${uptimes[0]}  ->  ${uptimes[uptimes.length - 1]}`);
    c.writeResult(o.rttMs ? `fleet-rtt${o.rttMs}` : "fleet", out);
    return 0;
  } finally {
    for (const l of links) await l.stop();
    sim.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then((rc) => process.exit(rc), (e) => { console.error(`bench/fleet: ${e && e.message ? e.message : e}`); process.exit(1); });
