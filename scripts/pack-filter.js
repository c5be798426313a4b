#!/usr/bin/env node
// prepack: keep build objects and native sources out of the packed tgz. With bundleDependencies,
// npm packs each bundled package by that package's own rules, and some ship what their install
// compiled (ssh2's and cpu-features' build/Release/obj.target/*.o, Makefiles) or what only a
// rebuild needs (better-sqlite3's deps/sqlite3.c, 9.5 MB; its addon ships in lib/native). npm
// honours an .npmignore inside a bundled package's subdirectory, so one is written next to each
// such directory's contents. Nothing loaded at run time is excluded (build/Release/*.node stays).
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const modules = path.join(root, "node_modules");
const RULES = {
  build: ["Makefile", "*.mk", "*.Makefile", "*.gypi", "deps/"],
  release: ["*.a", "*.o", "*.lib", "*.obj", "*.exp", "*.pdb"],
  all: ["*"],
};
/** Directories of packages whose sources are only needed to rebuild an addon shipped elsewhere. */
const SOURCES_ONLY = ["better-sqlite3/deps", "better-sqlite3/src"];

const written = [];
function ignore(dir, lines) {
  fs.writeFileSync(path.join(dir, ".npmignore"), lines.join("\n") + "\n");
  written.push(path.relative(root, dir));
}

function walk(dir, inBuild) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.isSymbolicLink()) continue;
    const p = path.join(dir, e.name);
    if (inBuild && (e.name === "obj.target" || e.name === ".deps")) {
      ignore(p, RULES.all);
      continue;
    }
    if (e.name === "build" && !inBuild && fs.existsSync(path.join(p, "Release"))) {
      ignore(p, RULES.build);
      ignore(path.join(p, "Release"), RULES.release);
      walk(p, true);
      continue;
    }
    walk(p, inBuild);
  }
}

if (!fs.existsSync(modules)) {
  console.error("pack-filter: node_modules is missing (run npm ci first)");
  process.exit(1);
}
walk(modules, false);
for (const rel of SOURCES_ONLY) {
  const p = path.join(modules, rel);
  if (fs.existsSync(p)) ignore(p, RULES.all);
}
console.error(`pack-filter: ${written.length} .npmignore files keep build objects and rebuild-only sources out of the package`);
