/**
 * The NDJSON audit file: an export of the store's event chain, appended after each change
 * (service.ts exportAuditLog), so the audit trail survives loss or replacement of the DB. The
 * chain in the store is the source of truth; the file is a prefix of it. Each line is the
 * canonical JSON of {seq, ts, run_id, host, type, payload, prev_hash, hash}, with the hash of the
 * store's row.
 */
import * as fs from "node:fs";
import { ZwhError } from "../core/errors";
import { AuditLine, GENESIS_HASH, canonicalJson, chainHash } from "./chain";
import type { ChainVerifyResult } from "./types";

/**
 * Append one line with a single O_APPEND write and fsync. If an earlier writer crashed mid-line
 * (file does not end in "\n"), start on a fresh line: gluing onto the fragment would corrupt
 * this record too, while a lone fragment is reported by verifyAuditLog as evidence.
 */
export function appendAuditLine(path: string, line: AuditLine): void {
  appendAuditLines(path, [line]);
}

/** Append lines in one O_APPEND write, then fsync (see appendAuditLine). */
export function appendAuditLines(path: string, lines: readonly AuditLine[]): void {
  if (lines.length === 0) return;
  const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  try {
    let prefix = "";
    const size = fs.fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      const rfd = fs.openSync(path, "r");
      try {
        fs.readSync(rfd, last, 0, 1, size - 1);
      } finally {
        fs.closeSync(rfd);
      }
      if (last[0] !== 0x0a) prefix = "\n";
    }
    const buf = Buffer.from(prefix + lines.map((l) => canonicalJson(l) + "\n").join(""), "utf8");
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const TAIL_CHUNK = 256 * 1024;

/**
 * The last complete, parseable line, or undefined for a missing/empty log. Reads the end of
 * the file only (the export is read after every change), the whole file when no complete line
 * fits in the last chunk.
 */
export function readAuditTail(path: string): AuditLine | undefined {
  let text: string;
  try {
    const fd = fs.openSync(path, "r");
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new ZwhError("ZWH-STORE-AUDIT-READ", "the audit log is not a regular file", { subject: path });
      const start = Math.max(0, st.size - TAIL_CHUNK);
      const buf = Buffer.alloc(st.size - start);
      let off = 0;
      while (off < buf.length) {
        const n = fs.readSync(fd, buf, off, buf.length - off, start + off);
        if (n === 0) break;
        off += n;
      }
      text = buf.subarray(0, off).toString("utf8");
      if (start > 0) {
        const found = lastRecord(text.slice(text.indexOf("\n") + 1));
        if (found) return found;
        text = fs.readFileSync(path, "utf8");
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  return lastRecord(text);
}

function lastRecord(text: string): AuditLine | undefined {
  const lines = text.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!.trim();
    if (!l) continue;
    try {
      const v = JSON.parse(l) as AuditLine;
      if (typeof v.seq === "number" && typeof v.hash === "string") return v;
    } catch {
      /* a crash fragment; keep looking backwards */
    }
  }
  return undefined;
}

export interface VerifyAuditOptions {
  /**
   * The head the log must end with (e.g. the DB chain head). Without it, deleting the last
   * lines of the log cannot be detected from the file alone.
   */
  expectedHead?: { seq: number; hash: string };
  /**
   * Accept a log whose first line continues an older chain (first prev_hash is not the
   * genesis hash), e.g. after the log file was rotated. Default false.
   */
  allowAnchor?: { seq: number; hash: string };
}

/**
 * Verify every line: valid JSON, hash recomputes, prev_hash links to the line before, seq
 * increases by one. Detects an edited line (hash mismatch), a deleted or reordered line
 * (link/seq break), a deleted first line (chain does not start at genesis) and, with
 * expectedHead, truncation at the end. brokenAt is the 1-based line number.
 */
export function verifyAuditLog(path: string, opts: VerifyAuditOptions = {}): ChainVerifyResult {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new ZwhError("ZWH-STORE-AUDIT-READ", `cannot read audit log: ${(e as Error).message}`, { subject: path, cause: e });
  }
  const lines = text.split("\n");
  // A trailing "" after the final newline is normal; anything else empty is suspicious.
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  let prevHash = opts.allowAnchor?.hash ?? GENESIS_HASH;
  let prevSeq = opts.allowAnchor?.seq ?? 0;
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    let rec: AuditLine;
    try {
      rec = JSON.parse(raw) as AuditLine;
    } catch {
      return { ok: false, count, brokenAt: lineNo, reason: "unparseable line (edited, or a crash fragment)" };
    }
    if (typeof rec !== "object" || rec === null || typeof rec.seq !== "number" || typeof rec.hash !== "string") {
      return { ok: false, count, brokenAt: lineNo, reason: "not an audit record" };
    }
    if (rec.prev_hash !== prevHash) {
      return { ok: false, count, brokenAt: lineNo, reason: i === 0 ? "log does not start at the chain genesis (first lines deleted?)" : "prev_hash does not link to the previous line (line deleted, inserted or reordered)" };
    }
    if (rec.seq !== prevSeq + 1) {
      return { ok: false, count, brokenAt: lineNo, reason: `sequence gap: expected ${prevSeq + 1}, got ${rec.seq}` };
    }
    const want = chainHash(rec.prev_hash, rec);
    if (want !== rec.hash) return { ok: false, count, brokenAt: lineNo, reason: "hash mismatch (line edited)" };
    // The stored line must be the canonical form; a re-serialised line means it was rewritten.
    if (canonicalJson(rec) !== raw) return { ok: false, count, brokenAt: lineNo, reason: "line is not in canonical form (rewritten)" };
    prevHash = rec.hash;
    prevSeq = rec.seq;
    count++;
  }
  const head = count > 0 || opts.allowAnchor ? { seq: prevSeq, hash: prevHash } : undefined;
  if (opts.expectedHead) {
    if (!head || head.seq !== opts.expectedHead.seq || head.hash !== opts.expectedHead.hash) {
      return {
        ok: false,
        count,
        head,
        brokenAt: lines.length + 1,
        reason: `log ends at seq ${head?.seq ?? 0} but the expected head is seq ${opts.expectedHead.seq} (lines removed from the end, or log replaced)`,
      };
    }
  }
  return { ok: true, count, head };
}
