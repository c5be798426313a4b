#!/usr/bin/env node
"use strict";
/**
 * Transfer benchmark: Wheelhouse's SSH transport (ssh2 fastPut) vs OpenSSH `sftp -b`, same key,
 * same simulated host, alternating runs. Not a test: prints medians and the ratio (goal <= 1.15)
 * and writes bench/.out/transfer.json.
 *
 *   npm run build && node bench/transfer.js [--size-mb 200] [--runs 3]
 *   ZWH_LIB=<dir with compiled remote/connection.js> node bench/transfer.js   (default ../lib)
 *   ZWH_BENCH_CONCURRENCY / ZWH_BENCH_CHUNK override the fastPut tuning for experiments.
 *
 * Each timed run is a full client session, as a user would see it: connect + host-key check +
 * auth + upload + close for both tools (the sftp process's wall time). The upload-only part of
 * our runs is reported separately.
 */
const { spawnSync, spawn } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const repo = path.resolve(__dirname, "..");
const lib = process.env.ZWH_LIB ? path.resolve(process.env.ZWH_LIB) : path.join(repo, "lib");

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const SIZE_MB = arg("--size-mb", 200);
const RUNS = arg("--runs", 3);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function runSftp(h, local, remote) {
  return new Promise((resolve, reject) => {
    const args = [
      "-F", "/dev/null", "-i", h.identityFile, "-o", "IdentitiesOnly=yes",
      "-o", `UserKnownHostsFile=${h.knownHostsFile}`, "-o", "GlobalKnownHostsFile=/dev/null",
      "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
      "-P", String(h.port), "-b", "-", `${h.user}@${h.host}`,
    ];
    const t0 = process.hrtime.bigint();
    const p = spawn("sftp", args, { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`sftp exited ${code}: ${err}`));
      resolve(ms);
    });
    p.stdin.end(`put "${local}" "${remote}"\n`);
  });
}

async function main() {
  const connMod = path.join(lib, "remote", "connection.js");
  if (!fs.existsSync(connMod)) {
    console.error(`bench/transfer: ${connMod} not found; run 'npm run build' first (or set ZWH_LIB).`);
    return 2;
  }
  const { connectTarget, UPLOAD_CONCURRENCY, UPLOAD_CHUNK_SIZE } = require(connMod);
  const concurrency = Number(process.env.ZWH_BENCH_CONCURRENCY) || UPLOAD_CONCURRENCY;
  const chunkSize = Number(process.env.ZWH_BENCH_CHUNK) || UPLOAD_CHUNK_SIZE;

  const work = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-bench-"));
  fs.chmodSync(work, 0o755); // the simulator's unprivileged session user must reach sim/ below it
  const simDir = path.join(work, "sim");
  const local = path.join(work, "payload.bin");
  const out = path.join(__dirname, ".out");
  fs.mkdirSync(out, { recursive: true });
  let started = false;
  try {
    // 200 MB of random data, written in 8 MB pieces.
    const fd = fs.openSync(local, "w");
    for (let left = SIZE_MB * 1024 * 1024; left > 0; left -= 8 * 1024 * 1024) {
      fs.writeSync(fd, crypto.randomBytes(Math.min(left, 8 * 1024 * 1024)));
    }
    fs.closeSync(fd);
    const bytes = fs.statSync(local).size;

    const st = spawnSync(path.join(repo, "scripts", "uss-sim"), ["start", "--json", "--dir", simDir], { encoding: "utf8" });
    if (st.status !== 0) throw new Error(`uss-sim start failed: ${st.stderr}`);
    started = true;
    const h = JSON.parse(st.stdout).hosts[0];
    const spec = {
      host: h.host, port: h.port, user: h.user, identityFile: h.identityFile,
      knownHostsFile: h.knownHostsFile, pythonPath: h.pythonPath,
    };
    const remote = (tool, i) => `${h.home}/bench-${tool}-${i}.bin`;

    const ours = [];
    const oursUpload = [];
    const sftp = [];
    for (let i = 0; i < RUNS; i++) {
      // ours
      let t0 = process.hrtime.bigint();
      const s = await connectTarget(spec);
      const t1 = process.hrtime.bigint();
      await s.upload(local, remote("zwh", i), { concurrency, chunkSize });
      const t2 = process.hrtime.bigint();
      await s.close();
      const t3 = process.hrtime.bigint();
      ours.push(Number(t3 - t0) / 1e6);
      oursUpload.push(Number(t2 - t1) / 1e6);
      // OpenSSH sftp
      sftp.push(await runSftp(h, local, remote("sftp", i)));
      // Check sizes and clean up outside the timed parts (simulated hosts live on this machine:
      // host paths are local paths).
      for (const tool of ["zwh", "sftp"]) {
        const size = fs.statSync(remote(tool, i)).size;
        if (size !== bytes) throw new Error(`${tool} run ${i}: uploaded ${size} bytes, expected ${bytes}`);
        fs.rmSync(remote(tool, i));
      }
      console.log(`run ${i + 1}/${RUNS}: zwh ${ours[i].toFixed(0)} ms (upload ${oursUpload[i].toFixed(0)} ms), sftp -b ${sftp[i].toFixed(0)} ms`);
    }
    const mOurs = median(ours);
    const mSftp = median(sftp);
    const ratio = mOurs / mSftp;
    const mbps = (ms) => +((bytes / 1024 / 1024) / (ms / 1000)).toFixed(1);
    const result = {
      benchmark: "transfer",
      date: new Date().toISOString(),
      sizeBytes: bytes,
      runs: RUNS,
      node: process.version,
      openssh: spawnSync("ssh", ["-V"], { encoding: "utf8" }).stderr.trim(),
      cpus: os.cpus().length,
      fastPut: { concurrency, chunkSize },
      zwh: { medianMs: +mOurs.toFixed(1), runsMs: ours.map((x) => +x.toFixed(1)), medianUploadOnlyMs: +median(oursUpload).toFixed(1), medianMiBps: mbps(mOurs) },
      sftp: { medianMs: +mSftp.toFixed(1), runsMs: sftp.map((x) => +x.toFixed(1)), medianMiBps: mbps(mSftp) },
      ratio: +ratio.toFixed(3),
      goal: 1.15,
      meetsGoal: ratio <= 1.15,
    };
    fs.writeFileSync(path.join(out, "transfer.json"), JSON.stringify(result, null, 2) + "\n");
    console.log(`median zwh ${mOurs.toFixed(0)} ms (${result.zwh.medianMiBps} MiB/s), sftp -b ${mSftp.toFixed(0)} ms (${result.sftp.medianMiBps} MiB/s), ratio ${ratio.toFixed(3)} (goal <= 1.15: ${result.meetsGoal ? "met" : "NOT met"})`);
    console.log(`wrote ${path.relative(process.cwd(), path.join(out, "transfer.json"))}`);
    return 0;
  } finally {
    if (started) spawnSync(path.join(repo, "scripts", "uss-sim"), ["stop", "--dir", simDir], { encoding: "utf8" });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (rc) => process.exit(rc),
  (e) => {
    console.error(`bench/transfer: ${e && e.message ? e.message : e}`);
    process.exit(1);
  },
);
