"use strict";
// The simulator's IBM-1047 <-> ISO8859-1 tables (zos-uss.md §11), read from shims/zsim.py so that
// the SSH simulator's iconv/cat and the simulated z/OSMF convert with exactly the same bytes.
const fs = require("node:fs");
const path = require("node:path");

function table(name) {
  const src = fs.readFileSync(path.join(__dirname, "..", "shims", "zsim.py"), "utf8");
  const m = new RegExp(`${name}_HEX = \\(([^)]*)\\)`).exec(src);
  if (!m) throw new Error(`zsim.py: ${name}_HEX not found`);
  const hex = m[1].replace(/[^0-9a-f]/gi, "");
  const t = Buffer.from(hex, "hex");
  if (t.length !== 256) throw new Error(`zsim.py: ${name}_HEX has ${t.length} bytes`);
  return t;
}

const A2E = table("A2E");
const E2A = table("E2A");

function translate(buf, t) {
  const out = Buffer.allocUnsafe(buf.length);
  for (let i = 0; i < buf.length; i++) out[i] = t[buf[i]];
  return out;
}

const EBCDIC = new Set(["IBM-1047", "1047"]);
const ASCII = new Set(["ISO8859-1", "819", "UTF-8", "1208"]);

/** Normalise a code set name as chtag prints it ("819" -> "ISO8859-1"); undefined if unknown. */
function codesetName(cs) {
  const v = String(cs || "").trim().toUpperCase();
  if (EBCDIC.has(v)) return "IBM-1047";
  if (v === "ISO8859-1" || v === "819" || v === "ISO-8859-1") return "ISO8859-1";
  if (v === "UTF-8" || v === "1208" || v === "UTF8") return "UTF-8";
  return undefined;
}

/** ISO8859-1 bytes -> the file's code set (only IBM-1047 is converted). */
function fromAscii(buf, cs) {
  return codesetName(cs) === "IBM-1047" ? translate(buf, A2E) : buf;
}

/** The file's code set -> ISO8859-1 bytes. */
function toAscii(buf, cs) {
  return codesetName(cs) === "IBM-1047" ? translate(buf, E2A) : buf;
}

module.exports = { A2E, E2A, translate, fromAscii, toAscii, codesetName, ASCII, EBCDIC };
