"use strict";
// SIMULATED z/OSMF (a fake: no real z/OSMF can run here). An HTTPS server, with its own CA
// (tls.js), in front of one simulated LPAR of the USS simulator: the same host directory, the
// same tag store (xattr user.zos.tag, set and read through the host's chtag shim), and BPXBATCH
// steps run in the same z/OS-like environment (PATH = the host's z/OS command set, the same
// shims, the same simulated IBM Python). It implements the REST subset the Zowe SDKs call
// (test/sim/README.md "Simulated z/OSMF"): /zosmf/info, /zosmf/restfiles/fs (list, read, write,
// create, delete, utilities chtag/move/chmod) and /zosmf/restjobs/jobs (submit, status, list,
// spool files, records, cancel, purge), with z/OSMF's response shapes and HTTP statuses.
//
// Run as a daemon: node server.js <config.json>   (config written by controller.js)

const fs = require("node:fs");
const path = require("node:path");
const https = require("node:https");
const crypto = require("node:crypto");
const { spawn, execFile } = require("node:child_process");
const { parseJcl, bpxbatchCommand, stdenv, JclError } = require("./jcl");
const cp = require("./codepage");

const FS_PREFIX = "/zosmf/restfiles/fs";
const JOBS_PREFIX = "/zosmf/restjobs/jobs";
const MAX_JOBS = 500;
const SYSNAME = "SY1";

// ------------------------------------------------------------------------------------------------
// small helpers

function readSwitches(cfg) {
  try {
    return JSON.parse(fs.readFileSync(path.join(cfg.hostDir, "switches.json"), "utf8"));
  } catch {
    return {};
  }
}

/** A "value[:match]" switch: { value, match } or undefined when off. */
function matchSwitch(raw) {
  if (raw === undefined || raw === null || raw === "" || raw === false) return undefined;
  const s = String(raw);
  const i = s.indexOf(":");
  return i < 0 ? { value: s, match: "" } : { value: s.slice(0, i), match: s.slice(i + 1) };
}

function json(res, status, obj, headers = {}) {
  const body = Buffer.from(JSON.stringify(obj));
  res.writeHead(status, { "Content-Type": "application/json; charset=UTF-8", "Content-Length": body.length, ...headers });
  res.end(body);
}

/** z/OSMF's error document: { category, rc, reason, message, details?, stack? }. */
function zerr(res, status, category, rc, reason, message, details) {
  const doc = { category, rc, reason, message };
  if (details && details.length) doc.details = details;
  json(res, status, doc);
}

function edcFor(e) {
  switch (e && e.code) {
    case "ENOENT":
      return "EDC5129I No such file or directory.";
    case "EACCES":
    case "EPERM":
      return "EDC5111I Permission denied.";
    case "EEXIST":
      return "EDC5117I File exists.";
    case "ENOTDIR":
      return "EDC5135I Not a directory.";
    case "EISDIR":
      return "EDC5123I Is a directory.";
    case "ENOTEMPTY":
      return "EDC5136I Directory not empty.";
    default:
      return `EDC5000I ${e && e.message ? e.message : String(e)}`;
  }
}

function fsErr(res, e, p) {
  const status = e && e.code === "ENOENT" ? 404 : e && (e.code === "EACCES" || e.code === "EPERM") ? 403 : 500;
  zerr(res, status, 1, 8, e && e.code === "ENOENT" ? 2 : 1, `${edcFor(e)} Path name: ${p}`, [edcFor(e)]);
}

function readBody(req, limit = 64 * 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let n = 0;
    req.on("data", (d) => {
      n += d.length;
      if (n > limit) {
        reject(Object.assign(new Error("request body too large"), { code: "E2BIG" }));
        req.destroy();
        return;
      }
      parts.push(d);
    });
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

function modeString(st) {
  const t = st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : st.isFIFO() ? "p" : st.isCharacterDevice() ? "c" : "-";
  const r = "rwxrwxrwx";
  let s = t;
  for (let i = 0; i < 9; i++) s += st.mode & (1 << (8 - i)) ? r[i] : "-";
  return s;
}

function zosTime(d) {
  return d.toISOString().replace(/\.\d+Z$/, "");
}

function etagOf(buf) {
  return crypto.createHash("sha1").update(buf).digest("hex").slice(0, 32).toUpperCase();
}

/** "/zosmf/restfiles/fs/u/x/f" -> "/u/x/f" (URL-decoded, normalised, absolute). */
function ussPathOf(pathname) {
  let p = pathname.slice(FS_PREFIX.length);
  try {
    p = decodeURIComponent(p);
  } catch {
    return undefined;
  }
  if (!p.startsWith("/")) p = "/" + p;
  if (p.includes("\0")) return undefined;
  return path.posix.normalize(p).replace(/(.)\/$/, "$1");
}

// ------------------------------------------------------------------------------------------------
// the host's shims (tags live where the SSH simulator keeps them)

function runShim(cfg, cmd, args) {
  return new Promise((resolve) => {
    execFile(path.join(cfg.root, "bin", cmd), args, { env: cfg.env, cwd: cfg.home, encoding: "latin1", maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
  });
}

/** The tag of a file: { kind: "t"|"b"|"m"|"-", codeset } from `chtag -p`. */
async function readTag(cfg, p) {
  const r = await runShim(cfg, "chtag", ["-p", p]);
  if (r.code !== 0) return undefined;
  const line = r.stdout.split("\n")[0] || "";
  return { kind: line[0], codeset: line.slice(2, 14).trim(), line };
}

// ------------------------------------------------------------------------------------------------
// restfiles

async function listFiles(cfg, req, res, url) {
  const p = url.searchParams.get("path");
  if (!p || !p.startsWith("/")) return zerr(res, 400, 1, 4, 7, "The path query parameter is required and must be absolute.");
  let st;
  try {
    st = fs.lstatSync(p);
  } catch (e) {
    return fsErr(res, e, p);
  }
  const maxRaw = req.headers["x-ibm-max-items"];
  const max = maxRaw === undefined ? 1000 : Number(maxRaw);
  const item = (name, s) => ({
    name, mode: modeString(s), size: s.size, uid: s.uid, user: userName(s.uid), gid: s.gid, group: groupName(s.gid), mtime: zosTime(s.mtime),
  });
  let items;
  if (st.isDirectory()) {
    let names;
    try {
      names = fs.readdirSync(p).sort();
    } catch (e) {
      return fsErr(res, e, p);
    }
    items = [item(".", st), item("..", fs.statSync(path.dirname(p)))];
    for (const n of names) {
      try {
        items.push(item(n, fs.lstatSync(path.join(p, n))));
      } catch {
        /* vanished */
      }
    }
  } else {
    items = [item(p, st)];
  }
  const total = items.length;
  if (max > 0) items = items.slice(0, max);
  json(res, 200, { items, returnedRows: items.length, totalRows: total, JSONversion: 1, ...(total > items.length ? { moreRows: true } : {}) });
}

function userName(uid) {
  try {
    const line = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.split(":")[2] === String(uid));
    return line ? line.split(":")[0].toUpperCase() : String(uid);
  } catch {
    return String(uid);
  }
}

function groupName(gid) {
  try {
    const line = fs.readFileSync("/etc/group", "utf8").split("\n").find((l) => l.split(":")[2] === String(gid));
    return line ? line.split(":")[0].toUpperCase() : String(gid);
  } catch {
    return String(gid);
  }
}

/** X-IBM-Data-Type: { type: "text"|"binary"|"record", fileEncoding? }. */
function dataType(req) {
  const h = String(req.headers["x-ibm-data-type"] || "text").trim();
  const [t, ...params] = h.split(";").map((s) => s.trim());
  const out = { type: t.toLowerCase() };
  for (const prm of params) {
    const [k, v] = prm.split("=");
    if (k && k.toLowerCase() === "fileencoding" && v) out.fileEncoding = v.trim();
  }
  return out;
}

async function readFile(cfg, req, res, p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch (e) {
    return fsErr(res, e, p);
  }
  if (st.isDirectory()) return zerr(res, 400, 1, 8, 3, `EDC5123I Is a directory. Path name: ${p}`);
  const dt = dataType(req);
  if (dt.type !== "text" && dt.type !== "binary") return zerr(res, 400, 1, 4, 7, `X-IBM-Data-Type ${dt.type} is not supported for z/OS UNIX files.`);
  let data;
  try {
    data = fs.readFileSync(p);
  } catch (e) {
    return fsErr(res, e, p);
  }
  const etag = etagOf(data);
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, { Etag: etag });
    return res.end();
  }
  if (dt.type === "text") {
    // Text reads convert from the file's code set (fileEncoding, else a text tag, else the z/OS
    // default IBM-1047) to ISO8859-1.
    let cs = dt.fileEncoding;
    if (!cs) {
      const tag = await readTag(cfg, p);
      cs = tag && tag.kind === "t" ? tag.codeset : "IBM-1047";
    }
    data = cp.toAscii(data, cs);
    res.writeHead(200, { "Content-Type": "text/plain; charset=ISO-8859-1", "Content-Length": data.length, Etag: etag });
  } else {
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": data.length, Etag: etag });
  }
  res.end(data);
}

async function writeFile(cfg, req, res, p) {
  const dt = dataType(req);
  if (dt.type !== "text" && dt.type !== "binary") return zerr(res, 400, 1, 4, 7, `X-IBM-Data-Type ${dt.type} is not supported for z/OS UNIX files.`);
  let existed = false;
  try {
    const st = fs.statSync(p);
    if (st.isDirectory()) return zerr(res, 400, 1, 8, 3, `EDC5123I Is a directory. Path name: ${p}`);
    existed = true;
    const im = req.headers["if-match"];
    if (im !== undefined && im !== etagOf(fs.readFileSync(p))) {
      return zerr(res, 412, 1, 4, 15, `The file ${p} has changed since its ETag ${im} was obtained.`);
    }
  } catch (e) {
    if (e.code !== "ENOENT") return fsErr(res, e, p);
    try {
      if (!fs.statSync(path.dirname(p)).isDirectory()) return fsErr(res, Object.assign(new Error(""), { code: "ENOTDIR" }), p);
    } catch (e2) {
      return fsErr(res, e2, p);
    }
  }
  const cut = Number(readSwitches(cfg).zosmfCutUploadAfter || 0);
  if (dt.type === "binary") {
    // Streamed straight into the file: open(O_TRUNC) keeps the inode, so a pre-set tag survives.
    let fd;
    try {
      fd = fs.openSync(p, "w", 0o644);
    } catch (e) {
      return fsErr(res, e, p);
    }
    let n = 0;
    let failed = false;
    await new Promise((resolve) => {
      req.on("data", (d) => {
        if (failed) return;
        if (cut > 0 && n + d.length > cut) {
          // test switch: the connection is cut mid-upload; what arrived so far stays in the file
          fs.writeSync(fd, d.subarray(0, cut - n));
          n = cut;
          failed = true;
          req.socket.destroy();
          resolve();
          return;
        }
        fs.writeSync(fd, d);
        n += d.length;
      });
      req.on("end", resolve);
      req.on("error", () => {
        failed = true;
        resolve();
      });
      req.on("close", resolve);
    });
    fs.closeSync(fd);
    if (failed) return;
  } else {
    // The trap (zowe-plugin.md §9): a text upload converts ISO8859-1 -> the target code set
    // (fileEncoding, else an existing text tag, else IBM-1047) and tags only with fileEncoding.
    let body;
    try {
      body = await readBody(req);
    } catch {
      return;
    }
    if (cut > 0 && body.length > cut) {
      fs.writeFileSync(p, body.subarray(0, cut));
      req.socket.destroy();
      return;
    }
    let cs = dt.fileEncoding;
    if (!cs && existed) {
      const tag = await readTag(cfg, p);
      if (tag && tag.kind === "t") cs = tag.codeset;
    }
    if (!cs) cs = "IBM-1047";
    if (!cp.codesetName(cs)) return zerr(res, 400, 1, 4, 7, `The file encoding ${cs} is not supported by the simulator.`);
    const text = body.toString("latin1").replace(/\r\n/g, "\n");
    try {
      fs.writeFileSync(p, cp.fromAscii(Buffer.from(text, "latin1"), cs), { mode: 0o644 });
    } catch (e) {
      return fsErr(res, e, p);
    }
    if (dt.fileEncoding) {
      const r = await runShim(cfg, "chtag", ["-tc", dt.fileEncoding, p]);
      if (r.code !== 0) return zerr(res, 500, 1, 8, 11, `chtag failed: ${r.stderr.trim()}`, [r.stderr.trim()]);
    }
  }
  const headers = req.headers["x-ibm-return-etag"] === "true" ? { Etag: etagOf(fs.readFileSync(p)) } : {};
  res.writeHead(existed ? 204 : 201, headers);
  res.end();
}

async function createPath(cfg, req, res, p) {
  let body;
  try {
    body = JSON.parse((await readBody(req, 65536)).toString("utf8") || "{}");
  } catch {
    return zerr(res, 400, 1, 4, 7, "The request body is not valid JSON.");
  }
  const type = String(body.type || "");
  const mode = parseMode(body.mode, type === "file" ? 0o644 : 0o755);
  if (mode === undefined) return zerr(res, 400, 1, 4, 7, `Invalid mode ${body.mode}.`);
  try {
    if (fs.existsSync(p)) return zerr(res, 500, 1, 8, 17, `The specified file or directory already exists: ${p}`, ["EDC5117I File exists."]);
    if (type === "file") fs.closeSync(fs.openSync(p, "wx", mode));
    else if (type === "dir" || type === "directory") fs.mkdirSync(p, { mode });
    else return zerr(res, 400, 1, 4, 7, `Unknown type ${type}: use "file" or "directory".`);
    fs.chmodSync(p, mode);
  } catch (e) {
    return fsErr(res, e, p);
  }
  res.writeHead(201);
  res.end();
}

/** "rwxr-xr-x" or "755" -> 0o755. */
function parseMode(m, dflt) {
  if (m === undefined || m === null || m === "") return dflt;
  const s = String(m);
  if (/^[0-7]{3,4}$/.test(s)) return parseInt(s, 8);
  if (/^[r-][w-][xsS-][r-][w-][xsS-][r-][w-][xtT-]$/.test(s)) {
    let v = 0;
    for (let i = 0; i < 9; i++) if (s[i] !== "-" && s[i] !== "S" && s[i] !== "T") v |= 1 << (8 - i);
    return v;
  }
  return undefined;
}

async function deletePath(cfg, req, res, p) {
  const recursive = String(req.headers["x-ibm-option"] || "").toLowerCase() === "recursive";
  try {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) {
      if (recursive) fs.rmSync(p, { recursive: true });
      else fs.rmdirSync(p);
    } else fs.unlinkSync(p);
  } catch (e) {
    return fsErr(res, e, p);
  }
  res.writeHead(204);
  res.end();
}

async function utility(cfg, req, res, p) {
  let body;
  try {
    body = JSON.parse((await readBody(req, 65536)).toString("utf8"));
  } catch {
    return zerr(res, 400, 1, 4, 7, "The request body is not valid JSON.");
  }
  const request = String(body.request || "");
  if (request === "chtag") {
    const action = String(body.action || "");
    const recursive = body.recursive === true || body.recursive === "true";
    const args = [];
    if (action === "list") args.push("-p");
    else if (action === "remove") args.push("-r");
    else if (action === "set") {
      const type = String(body.type || "");
      if (type === "binary") {
        if (body.codeset !== undefined) return zerr(res, 400, 1, 4, 7, "A codeset cannot be specified with type binary.");
        args.push("-b");
      } else if (type === "text" || type === "mixed") {
        args.push(type === "text" ? "-t" : "-m");
        if (body.codeset !== undefined) args.push("-c", String(body.codeset));
      } else return zerr(res, 400, 1, 4, 7, `Invalid chtag type ${type}: use text, binary or mixed.`);
    } else return zerr(res, 400, 1, 4, 7, `Invalid chtag action ${action}: use set, remove or list.`);
    if (recursive) args.push("-R");
    if (body.links === "suppress") args.push("-h");
    args.push(p);
    const r = await runShim(cfg, "chtag", args);
    if (r.code !== 0) {
      const msg = r.stderr.trim();
      return zerr(res, /FSUMF180|EDC5129I/.test(msg) ? 404 : 500, 1, 8, 11, msg || `chtag ended with ${r.code}`, msg ? [msg] : undefined);
    }
    return json(res, 200, { stdout: action === "list" ? r.stdout.split("\n").filter((l) => l !== "") : [] });
  }
  if (request === "move") {
    const from = String(body.from || "");
    if (!from.startsWith("/")) return zerr(res, 400, 1, 4, 7, "move needs an absolute 'from' path.");
    const overwrite = body.overwrite === undefined ? true : body.overwrite === true || body.overwrite === "true";
    try {
      fs.lstatSync(from);
      if (!overwrite && fs.existsSync(p)) return zerr(res, 500, 1, 8, 17, `The target ${p} exists and overwrite is false.`, ["EDC5117I File exists."]);
      fs.renameSync(from, p); // rename(2): the inode, and with it the tag, moves
    } catch (e) {
      return fsErr(res, e, e && e.code === "ENOENT" ? from : p);
    }
    return json(res, 200, {});
  }
  if (request === "chmod") {
    const mode = String(body.mode || "");
    const args = [];
    if (body.recursive === true || body.recursive === "true") args.push("-R");
    args.push(mode, p);
    const r = await runShim(cfg, "chmod", args);
    if (r.code !== 0) return zerr(res, /No such file/.test(r.stderr) ? 404 : 500, 1, 8, 11, r.stderr.trim() || "chmod failed", [r.stderr.trim()]);
    return json(res, 200, {});
  }
  return zerr(res, 400, 1, 4, 7, `The utility request "${request}" is not supported by the simulated z/OSMF (supported: chtag, move, chmod).`);
}

async function restfiles(cfg, req, res, url) {
  if (url.pathname === FS_PREFIX || url.pathname === FS_PREFIX + "/") {
    if (req.method !== "GET") return zerr(res, 405, 1, 4, 1, `${req.method} is not allowed on ${FS_PREFIX}`);
    return listFiles(cfg, req, res, url);
  }
  const p = ussPathOf(url.pathname);
  if (!p) return zerr(res, 400, 1, 4, 7, "Invalid path name.");
  switch (req.method) {
    case "GET":
      return readFile(cfg, req, res, p);
    case "PUT": {
      const ct = String(req.headers["content-type"] || "");
      if (/^application\/json/i.test(ct)) return utility(cfg, req, res, p);
      return writeFile(cfg, req, res, p);
    }
    case "POST":
      return createPath(cfg, req, res, p);
    case "DELETE":
      return deletePath(cfg, req, res, p);
    default:
      return zerr(res, 405, 1, 4, 1, `${req.method} is not allowed`);
  }
}

// ------------------------------------------------------------------------------------------------
// restjobs

class Jobs {
  constructor(cfg) {
    this.cfg = cfg;
    this.seq = 0;
    this.jobs = new Map();
  }

  urlBase() {
    return `https://127.0.0.1:${this.cfg.port}${JOBS_PREFIX}`;
  }

  doc(j) {
    const d = {
      owner: this.cfg.user.toUpperCase(), phase: j.status === "OUTPUT" ? 20 : j.status === "ACTIVE" ? 14 : 1,
      subsystem: "JES2", "phase-name": j.status === "OUTPUT" ? "Job is on the hard copy queue" : j.status === "ACTIVE" ? "Job is actively executing" : "Job is queued for execution",
      "job-correlator": j.correlator, type: "JOB", url: `${this.urlBase()}/${j.correlator}`, jobid: j.jobid, class: j.jobClass,
      "files-url": `${this.urlBase()}/${j.correlator}/files`, jobname: j.jobname, status: j.status, retcode: j.retcode,
      "exec-submitted": zosTime(j.submitted), "exec-system": SYSNAME, "exec-member": SYSNAME,
    };
    if (j.started) d["exec-started"] = zosTime(j.started);
    if (j.ended) d["exec-ended"] = zosTime(j.ended);
    return d;
  }

  submit(jclText, lrecl) {
    const n = ++this.seq;
    const jobid = `JOB${String(n).padStart(5, "0")}`;
    const now = new Date();
    let parsed;
    let jclError;
    try {
      parsed = parseJcl(jclText, { lrecl });
    } catch (e) {
      if (!(e instanceof JclError)) throw e;
      jclError = e.message;
    }
    const jobname = parsed ? parsed.jobName : (/^\/\/(\S+)/.exec(jclText) || [, "UNKNOWN"])[1].slice(0, 8).toUpperCase();
    const j = {
      jobid, jobname, jobClass: parsed ? parsed.jobClass : "A", status: "INPUT", retcode: null, submitted: now,
      correlator: `J${String(n).padStart(7, "0")}${SYSNAME}.....${crypto.randomBytes(4).toString("hex").toUpperCase()}.......:`,
      jcl: jclText, spool: [], proc: undefined, canceled: false,
    };
    this.jobs.set(`${jobname}/${jobid}`, j);
    while (this.jobs.size > MAX_JOBS) this.jobs.delete(this.jobs.keys().next().value);
    if (jclError) {
      this.finish(j, "JCL ERROR", [], `IEFC452I ${jobname} - JOB NOT RUN - JCL ERROR`, jclError);
    } else {
      setImmediate(() => this.run(j, parsed).catch((e) => this.finish(j, "SYS FAIL", [], `$HASP... ${String(e && e.message)}`)));
    }
    return j;
  }

  /** End a job: retcode, spool (JES files are EBCDIC like the real spool; STDOUT/STDERR are what the program wrote). */
  finish(j, retcode, ddOut, jesLine, sysmsg) {
    if (j.status === "OUTPUT") return;
    j.status = "OUTPUT";
    j.retcode = retcode;
    j.ended = new Date();
    const t = (d) => d.toISOString().slice(11, 19).replace(/:/g, ".");
    const start = j.started || j.submitted;
    const msglg = [
      "                    J E S 2  J O B  L O G  --  S Y S T E M  " + SYSNAME + "  --  N O D E  N1",
      "",
      `${t(j.submitted)} ${j.jobid} ---- ${j.submitted.toUTCString().slice(0, 16).toUpperCase()} ----`,
      `${t(j.submitted)} ${j.jobid}  IRR010I  USERID ${this.cfg.user.toUpperCase().padEnd(8)} IS ASSIGNED TO THIS JOB.`,
      `${t(start)} ${j.jobid}  $HASP373 ${j.jobname.padEnd(8)} STARTED - INIT 1    - CLASS ${j.jobClass} - SYS ${SYSNAME}`,
      ...(jesLine ? [`${t(j.ended)} ${j.jobid}  ${jesLine}`] : []),
      `${t(j.ended)} ${j.jobid}  $HASP395 ${j.jobname.padEnd(8)} ENDED - ${retcode.startsWith("CC ") ? "RC=" + retcode.slice(3) : retcode.replace(/ /g, "=")}`,
    ].join("\n") + "\n";
    const jcl = j.jcl.replace(/\r\n/g, "\n").split("\n").filter((l, i, a) => i < a.length - 1 || l !== "")
      .map((l, i) => `${String(i + 1).padStart(8)} ${l}`).join("\n") + "\n";
    const ebc = (s) => cp.fromAscii(Buffer.from(s, "latin1"), "IBM-1047");
    const files = [
      { ddname: "JESMSGLG", stepname: "JES2", data: ebc(msglg) },
      { ddname: "JESJCL", stepname: "JES2", data: ebc(jcl) },
      { ddname: "JESYSMSG", stepname: "JES2", data: ebc((sysmsg ? sysmsg + "\n" : "") + `IEF375I  JOB/${j.jobname.padEnd(8)}/START ${zosTime(start)}\nIEF376I  JOB/${j.jobname.padEnd(8)}/STOP  ${zosTime(j.ended)}\n`) },
    ];
    j.spool = files.map((f, i) => ({ ...f, id: i + 2 })).concat(ddOut.map((f, i) => ({ ...f, id: 102 + i })));
  }

  async run(j, parsed) {
    const cfg = this.cfg;
    if (j.canceled) return;
    j.status = "ACTIVE";
    j.started = new Date();
    const step = parsed.steps[0];
    if (parsed.steps.length > 1) return this.finish(j, "JCL ERROR", [], undefined, "IEFC605I the simulator runs one step per job");
    if (step.pgm !== "BPXBATCH") {
      return this.finish(j, "ABEND S806", [], `CSV003I REQUESTED MODULE ${step.pgm} NOT FOUND`, `IEF450I ${j.jobname} ${step.name || ""} - ABEND=S806 U0000 REASON=00000004`);
    }
    let cmd;
    try {
      cmd = bpxbatchCommand(step);
    } catch (e) {
      return this.finish(j, "JCL ERROR", [], undefined, e.message);
    }
    const sw = readSwitches(cfg);
    const subject = cmd.kind === "sh" ? cmd.command : [cmd.program, ...cmd.args].join(" ");
    const matches = (m) => !m.match || subject.includes(m.match) || scriptText(subject, cfg.home).includes(m.match);
    const stall = matchSwitch(sw.zosmfJobStallMs);
    if (stall && matches(stall)) {
      await new Promise((r) => {
        j.stallTimer = setTimeout(r, Number(stall.value) || 0);
        j.stallResolve = r;
      });
      if (j.canceled) return;
    }
    const abend = matchSwitch(sw.zosmfJobAbend);
    if (abend && matches(abend)) {
      const code = abend.value || "S0C4";
      return this.finish(j, `ABEND ${code}`, [{ ddname: "STDOUT", stepname: step.name || "", data: Buffer.alloc(0) }, { ddname: "STDERR", stepname: step.name || "", data: Buffer.alloc(0) }],
        `IEA995I SYMPTOM DUMP OUTPUT  ABEND CODE SYSTEM=${code.slice(1)}`, `IEF450I ${j.jobname} ${step.name || ""} - ABEND=${code} U0000 REASON=00000004`);
    }
    const env = { ...cfg.env, ...stdenv(step) };
    const argv = cmd.kind === "sh" ? ["/bin/sh", ["-c", cmd.command]] : [cmd.program, cmd.args];
    const wantOut = step.dds.STDOUT && step.dds.STDOUT.sysout !== undefined;
    const wantErr = step.dds.STDERR && step.dds.STDERR.sysout !== undefined;
    const out = [];
    const err = [];
    const limit = [step.timeLimit, parsed.timeLimit].filter((x) => x !== undefined).sort((a, b) => a - b)[0];
    const result = await new Promise((resolve) => {
      let p;
      try {
        p = spawn(argv[0], argv[1], { cwd: cfg.home, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
      } catch (e) {
        resolve({ code: 255, spawnError: String(e.message) });
        return;
      }
      j.proc = p;
      let timedOut = false;
      const timer = limit !== undefined ? setTimeout(() => {
        timedOut = true;
        killGroup(p);
      }, limit * 1000) : undefined;
      p.stdout.on("data", (d) => out.push(d));
      p.stderr.on("data", (d) => err.push(d));
      p.on("error", (e) => resolve({ code: 255, spawnError: String(e.message) }));
      p.on("close", (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ code, signal, timedOut });
      });
    });
    j.proc = undefined;
    const dds = [];
    if (wantOut) dds.push({ ddname: "STDOUT", stepname: step.name || "", data: Buffer.concat(out) });
    if (wantErr) dds.push({ ddname: "STDERR", stepname: step.name || "", data: Buffer.concat(err) });
    if (j.canceled) return this.finish(j, "CANCELED", dds, `$HASP890 ${j.jobname} CANCELED`);
    if (result.timedOut) return this.finish(j, "ABEND S322", dds, `IEF450I ${j.jobname} ${step.name || ""} - ABEND=S322 U0000 REASON=00000000`, `IEF450I ${j.jobname} ${step.name || ""} - ABEND=S322 U0000 REASON=00000000 TIME=${limit}s`);
    if (result.signal) return this.finish(j, "ABEND S0C4", dds, `CEE3204S The system detected a protection exception (signal ${result.signal}).`, `IEF450I ${j.jobname} ${step.name || ""} - ABEND=S0C4 U0000`);
    if (result.spawnError) return this.finish(j, "CC 4095", dds, `BPXM... ${result.spawnError}`);
    // The step's return code is the shell's exit status (shown as CC nnnn, like BPXBATCH).
    return this.finish(j, `CC ${String(result.code).padStart(4, "0")}`, dds);
  }

  cancel(j) {
    j.canceled = true;
    if (j.stallTimer) {
      clearTimeout(j.stallTimer);
      j.stallResolve();
    }
    if (j.proc) killGroup(j.proc);
    else if (j.status !== "OUTPUT") this.finish(j, "CANCELED", [], `$HASP890 ${j.jobname} CANCELED`);
  }
}

/**
 * Text of the script files a command names (absolute, or relative to HOME where BPXBATCH starts),
 * so that test switches can match what a job will run. Only regular files under 1 MiB that are
 * not executables (the shell itself is named too).
 */
function scriptText(command, home) {
  let text = "";
  for (const w of command.split(/\s+/)) {
    if (!w || w.startsWith("-")) continue;
    const p = path.resolve(home, w);
    try {
      const st = fs.statSync(p);
      if (st.isFile() && st.size < 1024 * 1024 && (st.mode & 0o111) === 0) text += fs.readFileSync(p, "latin1") + "\n";
    } catch {
      /* not a file */
    }
  }
  return text;
}

function killGroup(p) {
  try {
    process.kill(-p.pid, "SIGKILL");
  } catch {
    try {
      p.kill("SIGKILL");
    } catch {
      /* gone */
    }
  }
}

function spoolDoc(jobs, j, f) {
  const text = f.data.toString("latin1");
  return {
    recfm: "VBA", "records-url": `${jobs.urlBase()}/${j.correlator}/files/${f.id}/records`, stepname: f.stepname, subsystem: "JES2",
    "job-correlator": j.correlator, "byte-count": f.data.length, lrecl: 137, jobid: j.jobid, ddname: f.ddname, id: f.id,
    "record-count": text === "" ? 0 : text.replace(/\n$/, "").split("\n").length, class: "X", jobname: j.jobname, procstep: null,
  };
}

async function restjobs(cfg, jobs, req, res, url) {
  const rest = url.pathname.slice(JOBS_PREFIX.length).split("/").filter(Boolean).map((s) => decodeURIComponent(s));
  if (rest.length === 0) {
    if (req.method === "PUT") {
      const ct = String(req.headers["content-type"] || "");
      if (!/^text\/plain/i.test(ct)) return zerr(res, 400, 6, 4, 7, "The simulated z/OSMF submits in-stream JCL only (Content-Type: text/plain).");
      const mode = String(req.headers["x-ibm-intrdr-mode"] || "TEXT").toUpperCase();
      if (mode !== "TEXT") return zerr(res, 400, 6, 4, 7, `X-IBM-Intrdr-Mode ${mode} is not supported by the simulator.`);
      const lrecl = Number(req.headers["x-ibm-intrdr-lrecl"] || 80);
      const body = (await readBody(req, 4 * 1024 * 1024)).toString("utf8");
      if (!body.startsWith("//")) return zerr(res, 400, 6, 4, 7, "Submit input data does not start with a slash.");
      const tooLong = body.replace(/\r\n/g, "\n").split("\n").findIndex((l) => l.length > lrecl);
      if (tooLong >= 0) return zerr(res, 400, 6, 4, 7, `Record ${tooLong + 1} of the submitted JCL is longer than the LRECL ${lrecl}.`);
      const j = jobs.submit(body, lrecl);
      return json(res, 201, jobs.doc(j));
    }
    if (req.method === "GET") {
      const owner = (url.searchParams.get("owner") || cfg.user).toUpperCase();
      const prefix = (url.searchParams.get("prefix") || "*").toUpperCase();
      const re = new RegExp("^" + prefix.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
      const list = [...jobs.jobs.values()].filter((j) => (owner === "*" || owner === cfg.user.toUpperCase()) && re.test(j.jobname)).map((j) => jobs.doc(j));
      return json(res, 200, list);
    }
    return zerr(res, 405, 6, 4, 1, `${req.method} is not allowed on ${JOBS_PREFIX}`);
  }
  const [jobname, jobid, sub, fileId, records] = rest;
  const j = jobs.jobs.get(`${String(jobname).toUpperCase()}/${String(jobid).toUpperCase()}`);
  if (!j) return zerr(res, 400, 6, 4, 10, `No job found for reference: '${jobname}(${jobid})'`);
  if (sub === undefined) {
    if (req.method === "GET") return json(res, 200, jobs.doc(j));
    if (req.method === "DELETE") {
      jobs.cancel(j);
      jobs.jobs.delete(`${j.jobname}/${j.jobid}`);
      return json(res, 200, { jobid: j.jobid, jobname: j.jobname, "original-jobid": j.jobid, owner: cfg.user.toUpperCase(), member: "JES2", sysname: SYSNAME, "job-correlator": j.correlator, status: "0" });
    }
    if (req.method === "PUT") {
      let body;
      try {
        body = JSON.parse((await readBody(req, 65536)).toString("utf8"));
      } catch {
        return zerr(res, 400, 6, 4, 7, "The request body is not valid JSON.");
      }
      if (body.request !== "cancel") return zerr(res, 400, 6, 4, 7, `The job request "${body.request}" is not supported by the simulator (supported: cancel).`);
      jobs.cancel(j);
      return json(res, 200, { jobid: j.jobid, jobname: j.jobname, "original-jobid": j.jobid, owner: cfg.user.toUpperCase(), member: "JES2", sysname: SYSNAME, "job-correlator": j.correlator, status: "0" });
    }
    return zerr(res, 405, 6, 4, 1, `${req.method} is not allowed on a job`);
  }
  if (sub !== "files" || req.method !== "GET") return zerr(res, 404, 6, 4, 1, `Unknown job resource ${sub}`);
  if (fileId === undefined) return json(res, 200, j.spool.map((f) => spoolDoc(jobs, j, f)));
  const f = j.spool.find((x) => String(x.id) === String(fileId));
  if (!f || (records !== undefined && records !== "records")) return zerr(res, 400, 6, 4, 12, `Spool file ${fileId} not found for job ${j.jobname}(${j.jobid})`);
  // Records are converted from fileEncoding (default IBM-1047, the spool's code page) to UTF-8.
  const enc = url.searchParams.get("fileEncoding") || "IBM-1047";
  if (!cp.codesetName(enc)) return zerr(res, 400, 6, 4, 7, `fileEncoding ${enc} is not supported by the simulator.`);
  const body = Buffer.from(cp.toAscii(f.data, enc).toString("latin1"), "utf8");
  res.writeHead(200, { "Content-Type": "text/plain; charset=UTF-8", "Content-Length": body.length });
  res.end(body);
}

// ------------------------------------------------------------------------------------------------
// the server

function authorized(cfg, req) {
  const h = String(req.headers.authorization || "");
  const m = /^Basic\s+(\S+)$/i.exec(h);
  if (m) {
    const dec = Buffer.from(m[1], "base64").toString("utf8");
    const i = dec.indexOf(":");
    if (i < 0) return false;
    const u = dec.slice(0, i);
    const pw = Buffer.from(dec.slice(i + 1));
    const want = Buffer.from(cfg.password);
    return u.toUpperCase() === cfg.user.toUpperCase() && pw.length === want.length && crypto.timingSafeEqual(pw, want);
  }
  if (cfg.token) {
    // a token (LtpaToken2 / apimlAuthenticationToken cookie) as issued by a login to z/OSMF or the API ML
    const cookies = String(req.headers.cookie || "").split(";").map((s) => s.trim());
    for (const c of cookies) {
      const eq = c.indexOf("=");
      const name = c.slice(0, eq);
      if ((name === "LtpaToken2" || name === "apimlAuthenticationToken" || name === "jwtToken") && c.slice(eq + 1) === cfg.token) return true;
    }
  }
  return false;
}

function createServer(cfg) {
  const jobs = new Jobs(cfg);
  const log = cfg.logFile ? fs.createWriteStream(cfg.logFile, { flags: "a" }) : undefined;
  const server = https.createServer({ key: fs.readFileSync(cfg.tls.key), cert: fs.readFileSync(cfg.tls.cert) }, (req, res) => {
    const url = new URL(req.url, "https://127.0.0.1");
    res.on("finish", () => log && log.write(`${new Date().toISOString()} ${req.method} ${url.pathname}${url.search} ${res.statusCode}\n`));
    handle(cfg, jobs, req, res, url).catch((e) => {
      if (!res.headersSent) zerr(res, 500, 1, 16, 0, `internal error in the simulated z/OSMF: ${e && e.message}`);
      else res.destroy();
    });
  });
  return { server, jobs };
}

async function handle(cfg, jobs, req, res, url) {
  if (url.pathname === "/zosmf/info" && req.method === "GET") {
    // z/OSMF's unauthenticated information service
    return json(res, 200, {
      zos_version: "04.29.00", zosmf_port: String(cfg.port), zosmf_version: "29", zosmf_hostname: "127.0.0.1",
      plugins: [], zosmf_saf_realm: "SAFRealm", zosmf_full_version: "29.0", api_version: "1", simulated: true,
    });
  }
  if (!url.pathname.startsWith("/zosmf/")) return zerr(res, 404, 1, 4, 1, `Not found: ${url.pathname}`);
  if (!authorized(cfg, req)) {
    res.writeHead(401, { "WWW-Authenticate": 'Basic realm="zosmfSAF"', "Content-Type": "text/plain", "Content-Length": 0 });
    return res.end();
  }
  if (req.method !== "GET" && req.headers["x-csrf-zosmf-header"] === undefined) {
    // z/OSMF refuses state-changing requests without the CSRF header (the Zowe SDK always sends it)
    return zerr(res, 403, 1, 8, 1, "The request was rejected: the X-CSRF-ZOSMF-HEADER header is missing.");
  }
  if (url.pathname === FS_PREFIX || url.pathname.startsWith(FS_PREFIX + "/")) return restfiles(cfg, req, res, url);
  if (url.pathname === JOBS_PREFIX || url.pathname.startsWith(JOBS_PREFIX + "/")) return restjobs(cfg, jobs, req, res, url);
  return zerr(res, 404, 1, 4, 1, `The simulated z/OSMF does not implement ${url.pathname}`);
}

/** Start on cfg.port (0 = any free port); resolves with the bound port. */
function listen(cfg) {
  const { server, jobs } = createServer(cfg);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.port || 0, "127.0.0.1", () => {
      cfg.port = server.address().port;
      resolve({ server, jobs, port: cfg.port });
    });
  });
}

module.exports = { createServer, listen, parseMode, ussPathOf };

if (require.main === module) {
  const cfgFile = process.argv[2];
  const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
  listen(cfg).then(
    ({ port }) => {
      fs.writeFileSync(cfg.readyFile, JSON.stringify({ port, pid: process.pid }) + "\n");
    },
    (e) => {
      process.stderr.write(`simulated z/OSMF failed to start: ${e.message}\n`);
      process.exit(1);
    },
  );
  process.on("SIGTERM", () => process.exit(0));
}
