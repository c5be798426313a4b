#!/usr/bin/env node
// Copies non-TypeScript assets (the stdlib-only Python helpers that run on the target) into lib/.
"use strict";
const fs = require("fs");
const path = require("path");
const root = path.resolve(__dirname, "..");
function copyDir(rel, exts) {
  const src = path.join(root, "src", rel);
  if (!fs.existsSync(src)) return;
  const dst = path.join(root, "lib", rel);
  fs.mkdirSync(dst, { recursive: true });
  for (const name of fs.readdirSync(src)) {
    if (exts.some((e) => name.endsWith(e))) fs.copyFileSync(path.join(src, name), path.join(dst, name));
  }
}
copyDir("remote/helpers", [".py"]);
copyDir("deploy/helpers", [".py"]);
