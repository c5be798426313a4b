#!/usr/bin/env node
"use strict";
/**
 * Check src/ against the layering rules in .dependency-cruiser.cjs.
 *
 * dependency-cruiser 16 stops on this package's `"bundleDependencies": true` (it expects an
 * array), so the check cruises a copy of src/ under test/.tmp with a package.json that carries
 * the same dependencies without that field. `extraFiles` (path → text, relative to the copy)
 * adds files to the copy: the layering test uses it to prove each rule catches a violation.
 *
 * Usage: node scripts/check-layering.js   (exit 1 and one line per violation when any)
 */
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const REPO = path.resolve(__dirname, "..");

function copyTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const s = path.join(from, e.name);
    const d = path.join(to, e.name);
    if (e.isDirectory()) copyTree(s, d);
    else if (e.isFile()) fs.copyFileSync(s, d);
  }
}

/** @returns {{ violations: Array<{ rule: string, from: string, to: string }>, modules: number }} */
function checkLayering(opts = {}) {
  const extraFiles = opts.extraFiles || {};
  const base = path.join(REPO, "test", ".tmp");
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, "layering-"));
  try {
    copyTree(path.join(REPO, "src"), path.join(dir, "src"));
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
    const manifest = { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies, peerDependencies: pkg.peerDependencies };
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest));
    fs.copyFileSync(path.join(REPO, "tsconfig.json"), path.join(dir, "tsconfig.json"));
    for (const [rel, text] of Object.entries(extraFiles)) {
      const p = path.join(dir, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
    }
    let out;
    try {
      out = execFileSync(process.execPath, [path.join(REPO, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs"), "src", "--config", path.join(REPO, ".dependency-cruiser.cjs"), "--output-type", "json"], {
        cwd: dir, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      // depcruise exits non-zero when it finds errors; the JSON is still on stdout.
      if (!e.stdout) throw new Error(`dependency-cruiser failed: ${e.stderr || e.message}`);
      out = e.stdout;
    }
    const res = JSON.parse(out);
    const violations = (res.summary.violations || []).map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
    return { violations, modules: res.summary.totalCruised };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { checkLayering };

if (require.main === module) {
  const { violations, modules } = checkLayering();
  for (const v of violations) process.stdout.write(`${v.rule}: ${v.from} → ${v.to}\n`);
  process.stdout.write(`${modules} modules cruised, ${violations.length} violation(s)\n`);
  process.exitCode = violations.length ? 1 : 0;
}
