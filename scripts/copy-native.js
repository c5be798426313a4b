#!/usr/bin/env node
// prepack: copy better-sqlite3's compiled addon into lib/native/ so that the packed tgz carries it.
// better-sqlite3's own package "files" list excludes build/, so bundleDependencies alone ships its
// sources without build/Release/better_sqlite3.node; src/inventory/native-binding.ts falls back to
// lib/native/better_sqlite3.node when the normal load fails (docs/offline-install.md).
"use strict";
const fs = require("fs");
const path = require("path");
const root = path.resolve(__dirname, "..");
let pkgDir;
try {
  pkgDir = path.dirname(require.resolve("better-sqlite3/package.json", { paths: [root] }));
} catch {
  console.error("copy-native: better-sqlite3 is not installed (run npm ci first)");
  process.exit(1);
}
const src = path.join(pkgDir, "build", "Release", "better_sqlite3.node");
if (!fs.existsSync(src)) {
  console.error(`copy-native: ${src} is missing: better-sqlite3 was not built (npm ci with install scripts enabled builds it)`);
  process.exit(1);
}
if (!fs.existsSync(path.join(root, "lib"))) {
  console.error("copy-native: lib/ is missing: run npm run build before packing");
  process.exit(1);
}
// Prove the addon loads in this Node before shipping it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(src);
const dst = path.join(root, "lib", "native");
fs.mkdirSync(dst, { recursive: true });
fs.copyFileSync(src, path.join(dst, "better_sqlite3.node"));
const version = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).version;
const info = { package: "better-sqlite3", version, platform: process.platform, arch: process.arch, modules: process.versions.modules, node: process.version };
fs.writeFileSync(path.join(dst, "better_sqlite3.json"), JSON.stringify(info, null, 2) + "\n");
console.error(`copy-native: lib/native/better_sqlite3.node (better-sqlite3 ${version}, ${info.platform}-${info.arch}, Node ABI ${info.modules})`);
