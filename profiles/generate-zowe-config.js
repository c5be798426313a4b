#!/usr/bin/env node
"use strict";
/**
 * Writes a Zowe team config (zowe.config.json, plus zowe.schema.json beside it) for a running
 * simulator fleet or any list of hosts. Plain CommonJS so scripts/uss-sim can require it:
 *
 *   const { writeZoweConfig } = require("../profiles/generate-zowe-config");
 *   writeZoweConfig(hosts, "/tmp/zhome/zowe.config.json", { wheelhouse: { keepReleases: 3 } });
 *
 * CLI:  node profiles/generate-zowe-config.js OUT.json < hosts.json   (hosts.json: the output of
 *       `scripts/uss-sim start --json`, i.e. {hosts:[...]} or a bare array)
 *
 * Layout written (see docs/zowe-plugin.md):
 *   profiles.<host>            type ssh         host, port, user, privateKey, hostKey (pinned)
 *   profiles.prod              type wheelhouse  settings shared by all hosts (opts.wheelhouse,
 *                                               plus pythonPath/deployRoot when all hosts agree)
 *   profiles.prod.profiles.<host>  type wheelhouse  per-host pythonPath and deployRoot
 *                                               (use as --wheelhouse-profile prod.<host>)
 *   profiles.<host>_zosmf      type zosmf       for hosts with a (simulated) z/OSMF (`h.zosmf`):
 *                                               host, port, user, password, rejectUnauthorized
 *                                               true, protocol https (the password is plain text:
 *                                               simulator credentials for headless tests)
 *   defaults.ssh = first host, defaults.wheelhouse = prod, defaults.zosmf = first z/OSMF profile
 *
 * Each host: { name, host, port, user, identityFile, hostKeyFingerprint?, hostKeyPublic?,
 * pythonPath?, home?, deployRoot? }. The pin is the base64 key blob from hostKeyPublic (what
 * `zowe ssh` itself stores), else the SHA256 fingerprint (Wheelhouse accepts both).
 *
 * Options: { wheelhouseProfileName = "prod", wheelhouse = {} (shared wheelhouse properties),
 *            deployRoot = (h) => h.deployRoot ?? `${h.home}/wheelhouse`,
 *            schema = true (write zowe.schema.json; needs @zowe/imperative and @zowe/cli, the
 *            dev dependencies, and a build of lib/), password = undefined (plain-text password
 *            for every ssh profile, for headless tests only) }.
 */
const fs = require("node:fs");
const path = require("node:path");

function hostKeyPin(h) {
  if (h.hostKeyPublic) {
    const parts = String(h.hostKeyPublic).trim().split(/\s+/);
    return parts.length >= 2 ? parts[1] : parts[0];
  }
  return h.hostKeyFingerprint;
}

function defaultDeployRoot(h) {
  if (h.deployRoot) return h.deployRoot;
  if (h.home) return `${h.home}/wheelhouse`;
  return undefined;
}

function clean(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && v !== "") out[k] = v;
  return out;
}

/** The team config object for `hosts` (no files written). */
function buildZoweConfig(hosts, opts = {}) {
  if (!Array.isArray(hosts) || hosts.length === 0) throw new Error("generate-zowe-config: no hosts given");
  const whName = opts.wheelhouseProfileName || "prod";
  const deployRoot = opts.deployRoot || defaultDeployRoot;
  const profiles = {};
  for (const h of hosts) {
    if (!h.name || !h.host) throw new Error("generate-zowe-config: every host needs name and host");
    if (h.name === whName) throw new Error(`generate-zowe-config: host name '${h.name}' clashes with the wheelhouse profile`);
    profiles[h.name] = {
      type: "ssh",
      properties: clean({
        host: h.host,
        port: h.port,
        user: h.user,
        privateKey: h.identityFile,
        hostKey: hostKeyPin(h),
        password: opts.password,
      }),
    };
  }
  const zosmfNames = [];
  for (const h of hosts) {
    if (!h.zosmf) continue;
    const name = `${h.name}_zosmf`;
    zosmfNames.push(name);
    profiles[name] = {
      type: "zosmf",
      properties: clean({
        host: h.zosmf.host, port: h.zosmf.port, user: h.zosmf.user, password: h.zosmf.password,
        rejectUnauthorized: true, protocol: "https",
      }),
    };
  }
  const perHost = hosts.map((h) => ({ name: h.name, props: clean({ pythonPath: h.pythonPath, deployRoot: deployRoot(h), zosmfCaFile: h.zosmf ? h.zosmf.caFile : undefined }) }));
  const shared = { ...(opts.wheelhouse || {}) };
  for (const key of ["pythonPath", "deployRoot", "zosmfCaFile"]) {
    const values = new Set(perHost.map((p) => p.props[key]));
    if (values.size === 1 && !values.has(undefined)) {
      shared[key] = perHost[0].props[key];
      for (const p of perHost) delete p.props[key];
    }
  }
  const children = {};
  for (const p of perHost) children[p.name] = { type: "wheelhouse", properties: p.props };
  profiles[whName] = { type: "wheelhouse", properties: shared, profiles: children };

  return {
    $schema: "./zowe.schema.json",
    profiles,
    defaults: { ssh: hosts[0].name, wheelhouse: whName, ...(zosmfNames.length ? { zosmf: zosmfNames[0] } : {}) },
    autoStore: false,
  };
}

/** The JSON schema for ssh + wheelhouse + base profiles, built with the dev dependencies. */
function buildSchema() {
  const root = path.resolve(__dirname, "..");
  let imperative, cli, wheelhouse;
  try {
    imperative = require("@zowe/imperative");
    cli = require("@zowe/cli");
  } catch (e) {
    throw new Error(`generate-zowe-config: writing zowe.schema.json needs @zowe/imperative and @zowe/cli (npm install): ${e.message}`);
  }
  try {
    wheelhouse = require(path.join(root, "lib", "cli", "zowe", "wheelhouse-profile.js"));
  } catch (e) {
    throw new Error(`generate-zowe-config: lib/ is not built (npm run build): ${e.message}`);
  }
  const base = { type: "base", schema: { type: "object", title: "Base Profile", description: "Base profile", properties: {
    host: { type: "string" }, port: { type: "number" }, user: { type: "string", secure: true },
    password: { type: "string", secure: true }, rejectUnauthorized: { type: "boolean" },
  }, required: [] } };
  return imperative.ConfigSchema.buildSchema([cli.ZosUssProfile, cli.ZosmfProfile, wheelhouse.wheelhouseProfileTypeConfiguration(), base]);
}

/** Write the config (and its schema) to `file`. Returns the config object. */
function writeZoweConfig(hosts, file, opts = {}) {
  const config = buildZoweConfig(hosts, opts);
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  if (opts.schema !== false) {
    fs.writeFileSync(path.join(dir, "zowe.schema.json"), JSON.stringify(buildSchema(), null, 4) + "\n");
  } else {
    delete config.$schema;
  }
  fs.writeFileSync(file, JSON.stringify(config, null, 4) + "\n");
  return config;
}

module.exports = { buildZoweConfig, writeZoweConfig, hostKeyPin };

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write("usage: node profiles/generate-zowe-config.js OUT.json < hosts.json\n");
    process.exit(2);
  }
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  const hosts = Array.isArray(input) ? input : input.hosts;
  writeZoweConfig(hosts, out);
  process.stdout.write(`wrote ${out} (${hosts.length} ssh profiles, wheelhouse profile 'prod')\n`);
}
