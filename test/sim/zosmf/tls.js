"use strict";
// Own certificate authority for the simulated z/OSMF (openssl at start), so clients verify TLS
// for real: they trust only <dir>/ca.pem. Also a second, unrelated CA ("wrong-ca.pem") that tests
// use to prove that a certificate the client does not trust is refused.
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

function openssl(args, cwd) {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.error) {
    const e = new Error(`uss-sim: openssl is needed for the simulated z/OSMF's certificates (Debian: apt-get install -y openssl): ${r.error.message}`);
    e.simUserError = true;
    throw e;
  }
  if (r.status !== 0) {
    const e = new Error(`uss-sim: openssl ${args.slice(0, 2).join(" ")} failed: ${(r.stderr || "").trim()}`);
    e.simUserError = true;
    throw e;
  }
  return r;
}

function makeCa(dir, name, cn) {
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", `${name}-key.pem`, "-out", `${name}.pem`, "-days", "30", "-subj", `/CN=${cn}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
}

/**
 * Create (once per dir) ca.pem + server-key.pem/server.pem for 127.0.0.1/localhost, and
 * wrong-ca.pem. Returns absolute paths.
 */
function ensureCertificates(dir, hostLabel) {
  fs.mkdirSync(dir, { recursive: true });
  const out = {
    ca: path.join(dir, "ca.pem"),
    key: path.join(dir, "server-key.pem"),
    cert: path.join(dir, "server.pem"),
    wrongCa: path.join(dir, "wrong-ca.pem"),
  };
  if (Object.values(out).every((p) => fs.existsSync(p))) return out;
  makeCa(dir, "ca", `zwh-sim zOSMF CA (${hostLabel})`);
  makeCa(dir, "wrong-ca", "zwh-sim unrelated CA");
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", "server-key.pem", "-out", "server.csr", "-subj", `/CN=${hostLabel}`], dir);
  fs.writeFileSync(path.join(dir, "server.ext"),
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" +
    "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
    "-out", "server.pem", "-days", "30", "-extfile", "server.ext"], dir);
  for (const f of ["server.csr", "server.ext", "ca.srl"]) fs.rmSync(path.join(dir, f), { force: true });
  fs.chmodSync(out.key, 0o600);
  return out;
}

module.exports = { ensureCertificates };
