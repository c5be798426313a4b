/**
 * `*.dist-info/RECORD`: CSV rows `path,hash,size` (Python csv default dialect), hash written
 * as `<algorithm>=<urlsafe base64 digest without padding>`.
 *
 * The wheel spec requires sha256 or stronger for every file except RECORD itself (and the
 * deprecated RECORD.jws / RECORD.p7s signatures). Weaker algorithms are reported, never
 * trusted.
 */
import { createHash } from "node:crypto";
import { refusal, ZwhError } from "./errors";

export interface RecordHash {
  /** Python hashlib name as written in RECORD (`sha256`, `sha512`, `blake2b`, ...). */
  algorithm: string;
  /** Node crypto name, or undefined when the algorithm is not accepted. */
  nodeAlgorithm?: string;
  digest: Buffer;
  text: string;
}

export interface RecordRow {
  path: string;
  hash?: RecordHash;
  size?: number;
  /** 1-based line number, for messages. */
  line: number;
}

/** Accepted (strong enough) algorithms: Python name → [Node name, digest length]. */
export const STRONG_RECORD_ALGORITHMS: Readonly<Record<string, readonly [string, number]>> = Object.freeze({
  sha256: ["sha256", 32],
  sha384: ["sha384", 48],
  sha512: ["sha512", 64],
  sha3_256: ["sha3-256", 32],
  sha3_384: ["sha3-384", 48],
  sha3_512: ["sha3-512", 64],
  blake2b: ["blake2b512", 64],
});

/** Known but too weak for a wheel RECORD. */
const WEAK_ALGORITHMS = new Set(["md5", "sha1", "sha224", "sha3_224", "blake2s"]);

/** Split Python-csv text into rows (handles quotes, doubled quotes, CRLF, newlines in quotes). */
export function parseCsv(text: string): Array<{ fields: string[]; line: number }> {
  const rows: Array<{ fields: string[]; line: number }> = [];
  let fields: string[] = [];
  let field = "";
  let inQuotes = false;
  let quotedField = false;
  let line = 1;
  let rowLine = 1;
  const endRow = () => {
    fields.push(field);
    // Python's csv reader yields [] for a blank line; skip those.
    if (!(fields.length === 1 && fields[0] === "" && !quotedField)) rows.push({ fields, line: rowLine });
    fields = [];
    field = "";
    quotedField = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === "") {
      inQuotes = true;
      quotedField = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      quotedField = false;
    } else if (c === "\r" || c === "\n") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else field += c;
  }
  if (inQuotes) throw new Error(`unterminated quoted field starting on line ${rowLine}`);
  if (field !== "" || fields.length || quotedField) endRow();
  return rows;
}

/** Parse a RECORD hash field. Returns undefined for an empty field. */
export function parseRecordHash(text: string): RecordHash | undefined {
  if (text === "") return undefined;
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`hash "${text}" is not <algorithm>=<digest>`);
  const algorithm = text.slice(0, eq).toLowerCase();
  const b64 = text.slice(eq + 1);
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(b64)) throw new Error(`hash "${text}" is not urlsafe base64`);
  const digest = Buffer.from(b64, "base64url");
  const strong = STRONG_RECORD_ALGORITHMS[algorithm];
  if (strong && digest.length !== strong[1]) throw new Error(`${algorithm} digest has ${digest.length} bytes, expected ${strong[1]}`);
  return { algorithm, nodeAlgorithm: strong?.[0], digest, text };
}

export function isWeakAlgorithm(algorithm: string): boolean {
  return WEAK_ALGORITHMS.has(algorithm) || !(algorithm in STRONG_RECORD_ALGORITHMS);
}

/**
 * Parse RECORD. Throws ZWH-WHEEL-RECORD-INVALID for malformed CSV, wrong field counts, bad
 * hashes or sizes, or a path listed twice.
 */
export function parseRecord(input: string | Buffer, subject = "RECORD"): RecordRow[] {
  const text = typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: false }).decode(input);
  let rows: Array<{ fields: string[]; line: number }>;
  try {
    rows = parseCsv(text);
  } catch (e) {
    throw invalidRecord(subject, (e as Error).message);
  }
  const out: RecordRow[] = [];
  const seen = new Set<string>();
  for (const { fields, line } of rows) {
    if (fields.length !== 3) throw invalidRecord(subject, `line ${line} has ${fields.length} fields, expected path,hash,size`);
    const [path, hashText, sizeText] = fields;
    if (path === "") throw invalidRecord(subject, `line ${line} has an empty path`);
    if (seen.has(path)) throw invalidRecord(subject, `line ${line} lists ${path} a second time`);
    seen.add(path);
    let hash: RecordHash | undefined;
    try {
      hash = parseRecordHash(hashText);
    } catch (e) {
      throw invalidRecord(subject, `line ${line}: ${(e as Error).message}`);
    }
    let size: number | undefined;
    if (sizeText !== "") {
      if (!/^\d+$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw invalidRecord(subject, `line ${line}: size "${sizeText}" is not a byte count`);
      size = Number(sizeText);
    }
    out.push({ path, hash, size, line });
  }
  return out;
}

/** `sha256=<urlsafe b64, no padding>` as RECORD writes it. */
export function formatRecordHash(algorithm: string, digest: Buffer): string {
  return `${algorithm}=${digest.toString("base64url")}`;
}

/** RECORD hash field for some bytes (used by the test helper and by tools that write wheels). */
export function recordHashOf(data: Buffer | string, algorithm = "sha256"): string {
  const node = STRONG_RECORD_ALGORITHMS[algorithm]?.[0] ?? algorithm;
  return formatRecordHash(algorithm, createHash(node).update(data).digest());
}

/** Quote a CSV field the way Python's csv module does (only when needed). */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function invalidRecord(subject: string, why: string): ZwhError {
  return refusal("ZWH-WHEEL-RECORD-INVALID", `${subject} is malformed: ${why}`, {
    subject,
    hint: "RECORD must be CSV rows path,algorithm=digest,size; rebuild the wheel.",
  });
}
