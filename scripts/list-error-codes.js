#!/usr/bin/env node
"use strict";
// Lists every ZWH- error code that src/ can emit (TypeScript and the target-side Python helpers),
// with the modules that raise it: node scripts/list-error-codes.js [--markdown].
// docs/error-codes.md is generated from it and test/unit/error-codes-docs.test.ts checks that
// every code appears in the docs.
const fs = require("fs");
const path = require("path");
const SRC = path.resolve(__dirname, "..", "src");
// Strings that look like codes but are not: a comment's pattern, a doc example, an exec marker.
const NOT_CODES = new Set(["ZWH-AREA-WHAT", "ZWH-X-Y", "ZWH-END"]);

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.(ts|py)$/.test(e.name)) out.push(p);
  }
  return out;
}

function codesInSrc() {
  const codes = new Map();
  for (const f of walk(SRC)) {
    const text = fs.readFileSync(f, "utf8");
    for (const m of text.matchAll(/ZWH-[A-Z0-9]+(?:-[A-Z0-9]+)*/g)) {
      if (NOT_CODES.has(m[0])) continue;
      const rel = path.relative(SRC, f);
      if (!codes.has(m[0])) codes.set(m[0], new Set());
      codes.get(m[0]).add(rel);
    }
  }
  return new Map([...codes.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

module.exports = { codesInSrc, NOT_CODES };

if (require.main === module) {
  const codes = codesInSrc();
  if (process.argv.includes("--markdown")) {
    let area = "";
    for (const [code, files] of codes) {
      const a = code.split("-")[1];
      if (a !== area) { area = a; process.stdout.write(`\n### ${a}\n\n| Code | Raised in |\n|---|---|\n`); }
      process.stdout.write(`| \`${code}\` | ${[...files].sort().map((f) => `\`${f}\``).join(", ")} |\n`);
    }
  } else {
    for (const [code] of codes) process.stdout.write(`${code}\n`);
  }
}
