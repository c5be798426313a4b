"use strict";
// The JCL subset the simulated z/OSMF runs: one JOB card, EXEC PGM=BPXBATCH steps with PARM, and
// DD statements (SYSOUT=*, DUMMY, in-stream `DD *` data ended by `/*` or the next `//`).
// Statements use columns 1-71 (72 = continuation column, 73-80 = sequence numbers); operands
// continue on the next `//` line after a trailing comma. Anything else is a JCL error, as the
// converter would report it (message numbers follow z/OS, text is the simulator's).

const NAME_RE = /^[A-Z@#$][A-Z0-9@#$]{0,7}$/;

class JclError extends Error {
  constructor(msg, line) {
    super(msg);
    this.line = line;
  }
}

/** Split operands at top-level commas (outside quotes and parentheses). */
function splitOperands(s) {
  const out = [];
  let cur = "";
  let depth = 0;
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      cur += c;
      if (c === "'") {
        if (s[i + 1] === "'") {
          cur += "'";
          i++;
        } else q = false;
      }
      continue;
    }
    if (c === "'") q = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push(cur);
      cur = "";
      continue;
    } else if (c === " " && depth === 0) {
      break; // a blank ends the operand field; the rest is a comment
    }
    cur += c;
  }
  if (q) throw new JclError("IEFC627I INCORRECT USE OF APOSTROPHE");
  if (cur !== "") out.push(cur);
  return out;
}

/** The operand field of a statement: up to the first blank outside quotes (the rest is a comment). */
function operandField(s) {
  let q = false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "'") q = !q; // '' inside a string toggles twice
    else if (s[i] === " " && !q) return s.slice(0, i);
  }
  return s;
}

/** 'it''s' -> it's; bare values stay as written. */
function unquote(v) {
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
  return v;
}

function parseOperands(text) {
  const positional = [];
  const keywords = {};
  for (const op of splitOperands(text)) {
    const eq = op.indexOf("=");
    if (eq > 0 && /^[A-Z][A-Z0-9]*$/.test(op.slice(0, eq))) keywords[op.slice(0, eq)] = op.slice(eq + 1);
    else positional.push(op);
  }
  return { positional, keywords };
}

/** TIME= of a JOB/EXEC statement in seconds (undefined: no limit given). */
function timeLimitSeconds(v) {
  if (v === undefined) return undefined;
  if (/^(NOLIMIT|MAXIMUM|1440)$/.test(v)) return undefined;
  let m = /^\((\d*),?(\d*)\)$/.exec(v);
  if (m) return Number(m[1] || 0) * 60 + Number(m[2] || 0);
  m = /^(\d+)$/.exec(v);
  if (m) return Number(m[1]) * 60;
  throw new JclError(`IEFC630I UNIDENTIFIED KEYWORD VALUE TIME=${v}`);
}

/**
 * Parse a job. Returns { jobName, accounting, programmer, keywords, timeLimit, steps:[{ name,
 * pgm, parm, timeLimit, dds: { NAME: { sysout?, dummy?, instream?: string[], path? } } }] }.
 * Throws JclError for anything outside the subset.
 */
function parseJcl(text, opts = {}) {
  const lrecl = opts.lrecl || 80;
  const lines = String(text).replace(/\r\n/g, "\n").replace(/\n$/, "").split("\n");
  lines.forEach((l, i) => {
    if (l.length > lrecl) throw new JclError(`record ${i + 1} is ${l.length} bytes, longer than the internal reader's LRECL ${lrecl}`, i + 1);
  });
  const stmts = [];
  let i = 0;
  let inData = null;
  while (i < lines.length) {
    const raw = lines[i];
    if (inData) {
      if (raw.startsWith("/*") || (raw.startsWith("//") && !raw.startsWith("//*"))) {
        inData = null;
        if (raw.startsWith("/*")) {
          i++;
          continue;
        }
      } else {
        inData.push(raw.replace(/ +$/, "")); // BPXBATCH drops trailing blanks of fixed records
        i++;
        continue;
      }
    }
    const line = raw.slice(0, 71);
    if (line.startsWith("//*")) {
      i++;
      continue;
    }
    if (!line.startsWith("//")) throw new JclError(`IEFC605I UNIDENTIFIED OPERATION FIELD (record ${i + 1})`, i + 1);
    if (line.trim() === "//") break; // null statement: end of job
    const m = /^\/\/(\S*)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) throw new JclError(`IEFC605I UNIDENTIFIED OPERATION FIELD (record ${i + 1})`, i + 1);
    let [, name, op, operands] = m;
    operands = operandField(operands);
    const lineNo = i + 1;
    i++;
    // continuation: operands ending in a comma go on in the next // statement (from column 4-16)
    while (operands.endsWith(",") && i < lines.length) {
      const next = lines[i].slice(0, 71);
      const c = /^\/\/\s+(\S+)/.exec(next);
      if (!c) throw new JclError(`IEFC621I EXPECTED CONTINUATION NOT RECEIVED (record ${i + 1})`, i + 1);
      operands += operandField(next.replace(/^\/\/\s+/, ""));
      i++;
    }
    if (name && !NAME_RE.test(name)) throw new JclError(`IEFC662I INVALID LABEL ${name}`, lineNo);
    const st = { name, op, ...parseOperands(operands), line: lineNo };
    stmts.push(st);
    if (op === "DD" && st.positional.some((p) => p === "*" || p === "DATA")) {
      st.instream = [];
      inData = st.instream;
    }
  }
  const job = stmts[0];
  if (!job || job.op !== "JOB") throw new JclError("IEFC601I INVALID JCL STATEMENT: the first statement must be a JOB card", 1);
  if (!job.name) throw new JclError("IEFC662I INVALID LABEL: the JOB statement needs a job name", 1);
  const steps = [];
  for (const st of stmts.slice(1)) {
    if (st.op === "JOB") throw new JclError("IEFC601I a second JOB statement is not supported by the simulator", st.line);
    if (st.op === "EXEC") {
      const pgm = st.keywords.PGM;
      if (!pgm) throw new JclError(`IEFC605I EXEC without PGM= is not supported by the simulator (procedures are not)`, st.line);
      if (st.keywords.PARM !== undefined && unquote(st.keywords.PARM).length > 100) {
        throw new JclError("IEFC642I EXCESSIVE PARAMETER LENGTH IN THE PARM FIELD (more than 100 characters)", st.line);
      }
      steps.push({ name: st.name, pgm, parm: st.keywords.PARM !== undefined ? unquote(st.keywords.PARM) : undefined, timeLimit: timeLimitSeconds(st.keywords.TIME), dds: {} });
      continue;
    }
    if (st.op === "DD") {
      const step = steps[steps.length - 1];
      if (!step) throw new JclError("IEFC607I DD statement before the first EXEC", st.line);
      if (!st.name) throw new JclError("IEFC662I a DD statement needs a name (concatenation is not supported by the simulator)", st.line);
      const dd = {};
      if (st.instream) dd.instream = st.instream;
      else if (st.positional.includes("DUMMY")) dd.dummy = true;
      else if (st.keywords.SYSOUT !== undefined) dd.sysout = st.keywords.SYSOUT;
      else if (st.keywords.PATH !== undefined) dd.path = unquote(st.keywords.PATH);
      else throw new JclError(`IEFC630I DD ${st.name}: only SYSOUT=, DUMMY, PATH= and DD * are supported by the simulator`, st.line);
      step.dds[st.name] = dd;
      continue;
    }
    throw new JclError(`IEFC605I UNIDENTIFIED OPERATION FIELD ${st.op}`, st.line);
  }
  if (steps.length === 0) throw new JclError("IEFC605I the job has no EXEC statement", 1);
  const acct = job.positional[0];
  return {
    jobName: job.name,
    accounting: acct !== undefined ? acct.replace(/^\((.*)\)$/, "$1") : "",
    programmer: job.positional[1] !== undefined ? unquote(job.positional[1]) : "",
    keywords: Object.fromEntries(Object.entries(job.keywords).map(([k, v]) => [k, unquote(v)])),
    jobClass: unquote(job.keywords.CLASS || "A"),
    timeLimit: timeLimitSeconds(job.keywords.TIME),
    steps,
  };
}

/**
 * What a BPXBATCH step runs: STDPARM (in-stream, records joined) overrides PARM. "SH cmd" runs the
 * shell with cmd; "PGM path args" runs a program; an empty parameter runs the shell on STDIN.
 */
function bpxbatchCommand(step) {
  let parm = step.parm ?? "";
  if (step.dds.STDPARM) {
    if (!step.dds.STDPARM.instream) throw new JclError("BPXM... STDPARM must be in-stream data in the simulator");
    parm = step.dds.STDPARM.instream.join("");
  }
  parm = parm.trim();
  const m = /^(SH|PGM)(?:\s+([\s\S]*))?$/.exec(parm);
  if (parm === "") return { kind: "sh", command: "" };
  if (!m) return { kind: "sh", command: parm }; // BPXBATCH defaults to SH
  if (m[1] === "SH") return { kind: "sh", command: m[2] ?? "" };
  const words = (m[2] ?? "").trim().split(/\s+/).filter(Boolean);
  if (!words.length) throw new JclError("BPXM008I BPXBATCH PGM needs a program path");
  return { kind: "pgm", program: words[0], args: words.slice(1) };
}

/** STDENV records as NAME=value pairs (blank lines and lines without '=' are ignored, as BPXBATCH does). */
function stdenv(step) {
  const dd = step.dds.STDENV;
  const env = {};
  if (!dd || !dd.instream) return env;
  for (const l of dd.instream) {
    const eq = l.indexOf("=");
    if (eq > 0) env[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return env;
}

module.exports = { parseJcl, bpxbatchCommand, stdenv, JclError, splitOperands };
