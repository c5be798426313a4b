#!/usr/bin/env node
"use strict";
// Entry point of the standalone CLI; the implementation is compiled to lib/.
const { main } = require("../lib/cli/zwh/main");
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`ZWH-INTERNAL: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; },
);
