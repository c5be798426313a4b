#!/usr/bin/env node
"use strict";
/**
 * Verify benchmark: `sha256sum` over a bundle's wheel files vs Wheelhouse's full
 * loadAndVerifyBundle (signatures, subjects, streaming RECORD verification of every member,
 * tags, closure, policy, lock) over the same files. Not a test: prints medians, the ratio
 * (goal <= 1.25) and our peak RSS (goal <= 200 MB), and writes bench/.out/verify.json.
 *
 *   npm run build && node bench/verify.js [--wheels 40] [--mb 25] [--runs 3] [--osv-records 20000]
 *   ZWH_LIB=<compiled lib dir> node bench/verify.js          (default ../lib)
 *   ZWH_BENCH_WORKERS=0|1|2 overrides the worker-thread count (0 = in-process).
 *
 * Wheels (cached in bench/.out/wheels-<n>x<mb>/): each ~<mb> MB, members of 1-3 MiB, about half
 * random bytes (incompressible) and half generated text (compresses ~3:1), deflated like real
 * wheels, with a correct RECORD. Both tools run as child processes, alternating, page cache
 * warm (one untimed sha256sum first). Peak RSS comes from /usr/bin/time -v (max resident set).
 * The machine may be shared: each run also records the 1-minute load average and our CPU time
 * (user + sys), which moves far less with other load than wall time does; compare medians.
 *
 * Gate on (issue 13, goal <= 1.1x of gate off): each run also verifies the same bundle with the
 * offline vulnerability gate (--vuln-db), in alternation with the gate-off run. The snapshot is a
 * generated OSV PyPI all.zip of --osv-records records (default 20,000, about the size of the real
 * PyPI export: GHSA-, PYSEC- and MAL-shaped records of 1-4 KB with aliases, CVSS vectors and
 * ranges), cached in bench/.out/osv-<n>.zip; a few records name the bench packages with ranges
 * and scores that match below the threshold, so the gate evaluates matches and passes. The
 * first gate-on verify reads every record and writes the snapshot's package index (reported
 * separately as "first read"); the timed gate-on runs then use it, as every later verify with the
 * same snapshot does.
 */
const { spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const repo = path.resolve(__dirname, "..");
const lib = process.env.ZWH_LIB ? path.resolve(process.env.ZWH_LIB) : path.join(repo, "lib");
const outDir = path.join(__dirname, ".out");

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const N = arg("--wheels", 40);
const MB = arg("--mb", 25);
const RUNS = arg("--runs", 3);
const OSV_RECORDS = arg("--osv-records", 20000);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Deterministic pseudo-random bytes (seeded), so the cache is reproducible. */
function prng(seed, n) {
  const out = Buffer.allocUnsafe(n);
  let off = 0;
  let ctr = 0;
  while (off < n) {
    const h = crypto.createHash("sha512").update(`${seed}:${ctr++}`).digest();
    off += h.copy(out, off);
  }
  return out;
}
const WORDS = "import def return class self None True False for while if else elif try except with as lambda yield from numpy array value index data result config logger".split(" ");
function text(seed, n) {
  const r = prng(`t${seed}`, Math.ceil(n / 4) + 16);
  const parts = [];
  let len = 0;
  let i = 0;
  while (len < n) {
    const w = `${WORDS[r[i % r.length] % WORDS.length]}_${r[(i + 1) % r.length] % 64}${r[(i + 2) % r.length] % 7 === 0 ? "\n    " : " "}`;
    parts.push(w);
    len += w.length;
    i += 3;
  }
  return Buffer.from(parts.join("").slice(0, n));
}

async function buildWheel(file, name, idx, targetBytes) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yazl = require(path.join(repo, "node_modules", "yazl"));
  const zip = new yazl.ZipFile();
  const dist = `${name}-1.0.dist-info`;
  const record = [];
  const add = (p, data) => {
    zip.addBuffer(data, p, { mtime: new Date(Date.UTC(2020, 0, 1)), compress: true });
    record.push(`${p},sha256=${crypto.createHash("sha256").update(data).digest("base64url")},${data.length}`);
  };
  add(`${name}/__init__.py`, Buffer.from("__version__ = '1.0'\n"));
  let est = 0;
  let m = 0;
  while (est < targetBytes) {
    const size = (1 + (m % 3)) * 1024 * 1024;
    if (m % 2 === 0) {
      add(`${name}/blob_${m}.bin`, prng(`${idx}:${m}`, size));
      est += size;
    } else {
      add(`${name}/mod_${m}.py`, text(`${idx}:${m}`, size));
      est += size / 3;
    }
    m++;
  }
  add(`${dist}/METADATA`, Buffer.from(`Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\nRequires-Python: >=3.9\n\n`));
  add(`${dist}/WHEEL`, Buffer.from("Wheel-Version: 1.0\nGenerator: zwh-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n"));
  record.push(`${dist}/RECORD,,`);
  zip.addBuffer(Buffer.from(record.join("\n") + "\n"), `${dist}/RECORD`, { mtime: new Date(Date.UTC(2020, 0, 1)), compress: true });
  zip.end();
  await new Promise((resolve, reject) => {
    const ws = fs.createWriteStream(file);
    zip.outputStream.pipe(ws).on("finish", resolve).on("error", reject);
  });
}

/** A generated OSV PyPI all.zip of n records (deterministic). */
async function buildOsvSnapshot(file, n, benchNames) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yazl = require(path.join(repo, "node_modules", "yazl"));
  const zip = new yazl.ZipFile();
  const vectors = ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"];
  for (let i = 0; i < n; i++) {
    const r = prng(`osv${i}`, 16);
    const kind = i % 10 < 5 ? "GHSA" : i % 10 < 8 ? "PYSEC" : "MAL";
    const id = kind === "GHSA" ? `GHSA-${r.toString("hex").slice(0, 4)}-${r.toString("hex").slice(4, 8)}-${r.toString("hex").slice(8, 12)}` : kind === "PYSEC" ? `PYSEC-2024-${i}` : `MAL-2025-${i}`;
    // Bench packages get a handful of records: ranges that do not match 1.0, and one moderate match.
    const bench = i < benchNames.length * 3 ? benchNames[i % benchNames.length] : undefined;
    const pkg = bench ?? `pkg-${r[0] % 100}-${(r[1] << 8 | r[2]) % 9000}`;
    const events = bench && i < benchNames.length ? [{ introduced: "0" }, { fixed: "1.0.1" }] : [{ introduced: "0" }, { fixed: `0.${r[3] % 9 + 1}` }];
    const rec = {
      schema_version: "1.7.0", id, modified: `2026-0${1 + (r[4] % 9)}-1${r[5] % 9}T00:00:00Z`, published: "2024-05-01T00:00:00Z",
      aliases: kind === "MAL" ? [] : [`CVE-2024-${10000 + i}`],
      summary: `Generated advisory ${i} for ${pkg}`,
      details: text(`d${i}`, 600 + (r[6] % 8) * 300).toString(),
      severity: kind === "GHSA" ? [{ type: vectors[r[7] % 3].startsWith("CVSS:4") ? "CVSS_V4" : "CVSS_V3", score: bench ? vectors[1] : vectors[r[7] % 3] }] : [],
      affected: [{
        package: { ecosystem: "PyPI", name: pkg, purl: `pkg:pypi/${pkg}` },
        ranges: [{ type: "ECOSYSTEM", events: kind === "MAL" && !bench ? [{ introduced: "0" }] : events }],
        versions: ["0.1", "0.2", "0.3"],
        database_specific: { source: `https://example.invalid/${id}.json` },
      }],
      references: [{ type: "ADVISORY", url: `https://nvd.nist.gov/vuln/detail/CVE-2024-${10000 + i}` }, { type: "PACKAGE", url: `https://pypi.org/project/${pkg}` }],
      database_specific: kind === "GHSA" ? { cwe_ids: ["CWE-79"], github_reviewed: true, severity: "MODERATE" } : {},
    };
    zip.addBuffer(Buffer.from(JSON.stringify(rec, null, 2)), `${id}.json`, { mtime: new Date(Date.UTC(2026, 0, 1)), compress: true });
  }
  zip.end();
  await new Promise((resolve, reject) => {
    const ws = fs.createWriteStream(file);
    zip.outputStream.pipe(ws).on("finish", resolve).on("error", reject);
  });
}

function timeChild(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-v", cmd, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const cpuMs = user && sys ? Math.round((Number(user[1]) + Number(sys[1])) * 1000) : null;
  return { ms, cpuMs, maxRssKb: rss ? Number(rss[1]) : null, stdout: r.stdout };
}

async function main() {
  for (const f of ["bundle/index.js", "bundle/wheel-worker.js"]) {
    if (!fs.existsSync(path.join(lib, f))) {
      console.error(`bench/verify: ${path.join(lib, f)} not found; run 'npm run build' first (or set ZWH_LIB).`);
      process.exit(1);
    }
  }
  const B = require(path.join(lib, "bundle", "index.js"));
  const S = require(path.join(lib, "bundle", "signing", "index.js"));
  const wheelDir = path.join(outDir, `wheels-${N}x${MB}`);
  fs.mkdirSync(wheelDir, { recursive: true });
  const t0 = Date.now();
  for (let i = 0; i < N; i++) {
    const name = `benchpkg${String(i).padStart(3, "0")}`;
    const file = path.join(wheelDir, `${name}-1.0-py3-none-any.whl`);
    if (!fs.existsSync(file)) {
      await buildWheel(file + ".tmp", name, i, MB * 1024 * 1024);
      fs.renameSync(file + ".tmp", file);
    }
  }
  const wheelFiles = fs.readdirSync(wheelDir).filter((f) => f.endsWith(".whl")).sort();
  const total = wheelFiles.reduce((a, f) => a + fs.statSync(path.join(wheelDir, f)).size, 0);
  console.log(`wheels: ${wheelFiles.length} files, ${(total / 1024 ** 3).toFixed(2)} GiB (${((Date.now() - t0) / 1000).toFixed(0)} s to generate or reuse)`);

  // Bundle + trust (rebuilt each run: cheap compared to the wheels).
  const work = path.join(outDir, "verify-work");
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const pair = S.generateSigningKeyPair("ed25519");
  let doc = S.createTrust({ threshold: 1, channels: ["stable"] });
  doc = S.addTrustKey(doc, { publicKey: S.publicKeyPem(pair.publicKey), name: "bench" }).doc;
  fs.writeFileSync(path.join(work, "trust.json"), S.serializeTrust(doc));
  const tc = Date.now();
  const created = await B.createBundle({
    wheelDir, outDir: path.join(work, "bundle"), bundleId: "bench", channel: "stable", sequence: 1,
    target: B.zosTarget("3.12", "os390-29.00-8561"), signKeys: [pair.privateKey],
  });
  console.log(`bundle created and signed in ${((Date.now() - tc) / 1000).toFixed(1)} s: ${created.dir}`);
  const bundleWheels = wheelFiles.map((f) => path.join(created.dir, "wheels", f));
  const osvFile = path.join(outDir, `osv-${OSV_RECORDS}.zip`);
  if (!fs.existsSync(osvFile)) {
    await buildOsvSnapshot(osvFile + ".tmp", OSV_RECORDS, wheelFiles.map((f) => f.split("-")[0]));
    fs.renameSync(osvFile + ".tmp", osvFile);
  }
  console.log(`OSV snapshot: ${OSV_RECORDS} records, ${(fs.statSync(osvFile).size / 1024 ** 2).toFixed(1)} MiB (${osvFile})`);

  const verifyScript = `
    const B = require(${JSON.stringify(path.join(lib, "bundle", "index.js"))});
    const S = require(${JSON.stringify(path.join(lib, "bundle", "signing", "index.js"))});
    const workers = process.env.ZWH_BENCH_WORKERS;
    const t0 = process.hrtime.bigint();
    const gate = process.argv[3] ? { dbFile: process.argv[3], indexDir: process.argv[4] } : undefined;
    B.loadAndVerifyBundle(process.argv[1], { trust: S.loadTrust(process.argv[2]), pool: workers === undefined ? undefined : { workers: Number(workers) }, vulnGate: gate })
      .then((v) => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (gate && !(v.vulnerabilities && v.vulnerabilities.length > 0)) throw new Error("the gate did not evaluate any match");
        console.log(JSON.stringify({ ms, wheels: v.wheels.length, matches: v.vulnerabilities ? v.vulnerabilities.length : null, maxRssKb: process.resourceUsage().maxRSS }));
      })
      .catch((e) => { console.error(e.code, e.message); process.exit(3); });`;

  timeChild("sha256sum", bundleWheels); // warm the page cache
  // Gate on, first read of this snapshot (no package index yet): reported separately.
  const indexDir = path.join(work, "osv-index");
  const cold = timeChild(process.execPath, ["-e", verifyScript, created.dir, path.join(work, "trust.json"), osvFile, indexDir], { env: process.env });
  cold.inner = JSON.parse(cold.stdout.trim().split("\n").pop());
  console.log(`gate on, first read of the snapshot (builds the index): ${(cold.ms / 1000).toFixed(2)} s (cpu ${(cold.cpuMs / 1000).toFixed(2)} s, load ${os.loadavg()[0].toFixed(1)})`);
  const sha = [];
  const ours = [];
  const loads = [];
  const gated = [];
  for (let r = 0; r < RUNS; r++) {
    loads.push(Number(os.loadavg()[0].toFixed(2)));
    sha.push(timeChild("sha256sum", bundleWheels));
    const o = timeChild(process.execPath, ["-e", verifyScript, created.dir, path.join(work, "trust.json")], { env: process.env });
    o.inner = JSON.parse(o.stdout.trim().split("\n").pop());
    ours.push(o);
    const g = timeChild(process.execPath, ["-e", verifyScript, created.dir, path.join(work, "trust.json"), osvFile, indexDir], { env: process.env });
    g.inner = JSON.parse(g.stdout.trim().split("\n").pop());
    gated.push(g);
    console.log(
      `run ${r + 1} (load ${loads[r].toFixed(1)}): sha256sum ${(sha[r].ms / 1000).toFixed(2)} s | zwh verify ${(o.ms / 1000).toFixed(2)} s (in-process ${(o.inner.ms / 1000).toFixed(2)} s, cpu ${(o.cpuMs / 1000).toFixed(2)} s), ratio ${(o.ms / sha[r].ms).toFixed(2)}, peak RSS ${(o.maxRssKb / 1024).toFixed(0)} MB` +
        ` | gate on ${(g.ms / 1000).toFixed(2)} s (in-process ${(g.inner.ms / 1000).toFixed(2)} s, cpu ${(g.cpuMs / 1000).toFixed(2)} s, ${g.inner.matches} matches), gate on/off ${(g.ms / o.ms).toFixed(3)}, peak RSS ${(g.maxRssKb / 1024).toFixed(0)} MB`,
    );
  }
  const shaMs = median(sha.map((x) => x.ms));
  const ourMs = median(ours.map((x) => x.ms));
  const ratio = ourMs / shaMs;
  const peakRssMb = Math.max(...ours.map((x) => x.maxRssKb)) / 1024;
  const result = {
    when: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverage1m: loads,
    wheels: wheelFiles.length,
    totalBytes: total,
    runs: RUNS,
    workers: process.env.ZWH_BENCH_WORKERS ?? "default",
    sha256sumMs: sha.map((x) => Math.round(x.ms)),
    verifyMs: ours.map((x) => Math.round(x.ms)),
    verifyInProcessMs: ours.map((x) => Math.round(x.inner.ms)),
    verifyCpuMs: ours.map((x) => x.cpuMs),
    sha256sumCpuMs: sha.map((x) => x.cpuMs),
    medianVerifyCpuMs: median(ours.map((x) => x.cpuMs)),
    medianPerRunRatio: Number(median(ours.map((x, i) => x.ms / sha[i].ms)).toFixed(3)),
    medianSha256sumMs: Math.round(shaMs),
    medianVerifyMs: Math.round(ourMs),
    ratio: Number(ratio.toFixed(3)),
    ratioGoal: 1.25,
    peakRssMb: Number(peakRssMb.toFixed(1)),
    peakRssGoalMb: 200,
    throughputMBps: Number((total / 1024 ** 2 / (ourMs / 1000)).toFixed(0)),
    goalsMet: ratio <= 1.25 && peakRssMb <= 200,
    gate: {
      osvRecords: OSV_RECORDS,
      osvZipBytes: fs.statSync(osvFile).size,
      verifyMs: gated.map((x) => Math.round(x.ms)),
      verifyInProcessMs: gated.map((x) => Math.round(x.inner.ms)),
      verifyCpuMs: gated.map((x) => x.cpuMs),
      matches: gated[0].inner.matches,
      medianVerifyMs: Math.round(median(gated.map((x) => x.ms))),
      ratioToGateOff: Number((median(gated.map((x) => x.ms)) / ourMs).toFixed(3)),
      medianPerRunRatioToGateOff: Number(median(gated.map((x, i) => x.ms / ours[i].ms)).toFixed(3)),
      cpuRatioToGateOff: Number((median(gated.map((x) => x.cpuMs)) / median(ours.map((x) => x.cpuMs))).toFixed(3)),
      peakRssMb: Number((Math.max(...gated.map((x) => x.maxRssKb)) / 1024).toFixed(1)),
      ratioGoal: 1.1,
      firstReadMs: Math.round(cold.ms),
      firstReadCpuMs: cold.cpuMs,
    },
  };
  fs.writeFileSync(path.join(outDir, "verify.json"), JSON.stringify(result, null, 2) + "\n");
  console.log(`median: sha256sum ${(shaMs / 1000).toFixed(2)} s, zwh verify ${(ourMs / 1000).toFixed(2)} s -> ratio ${ratio.toFixed(2)}x (goal <= 1.25; median of per-run ratios ${result.medianPerRunRatio}), peak RSS ${peakRssMb.toFixed(0)} MB (goal <= 200), load average ${loads.join(" ")}`);
  console.log(`gate on: median ${(result.gate.medianVerifyMs / 1000).toFixed(2)} s -> ${result.gate.ratioToGateOff}x of gate off (goal <= 1.1; median of per-run ratios ${result.gate.medianPerRunRatioToGateOff}; cpu ${result.gate.cpuRatioToGateOff}x), peak RSS ${result.gate.peakRssMb} MB`);
  console.log(`wrote ${path.join(outDir, "verify.json")}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
