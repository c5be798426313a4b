"use strict";
/**
 * A WAN-like link for the deploy benchmarks: the test suite's fault proxy
 * (test/support/fault-proxy.ts, latency mode: every chunk delayed by RTT/2 per direction, in
 * order, no bandwidth cap) between the clients and the simulated LPAR. Both contenders of a
 * benchmark connect through the same proxy. The proxy's TypeScript is transpiled on load.
 */
const fs = require("fs");
const Module = require("module");
const os = require("os");
const path = require("path");
const ts = require("typescript");

function loadTs(file) {
  const src = fs.readFileSync(file, "utf8");
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(js, file);
  return m.exports;
}

/**
 * Start a latency proxy in front of sim host h. Returns { h: the host as reached through the proxy
 * (same keys; a known_hosts naming the proxy's port), rttMs, stop() }. rttMs 0: h itself, no proxy.
 */
async function latencyLink(h, rttMs) {
  if (!rttMs) return { h, rttMs: 0, stop: async () => undefined };
  const { startFaultProxy } = loadTs(path.join(__dirname, "..", "test", "support", "fault-proxy.ts"));
  const proxy = await startFaultProxy({ targetHost: h.host, targetPort: h.port, mode: "latency", latencyMs: rttMs / 2 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-bench-link-"));
  const known = path.join(dir, "known_hosts");
  const text = fs.readFileSync(h.knownHostsFile, "utf8").split(`[${h.host}]:${h.port} `).join(`[${h.host}]:${proxy.port} `);
  fs.writeFileSync(known, text);
  return {
    h: { ...h, port: proxy.port, knownHostsFile: known },
    rttMs,
    proxy,
    async stop() {
      await proxy.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { latencyLink };
