/**
 * Canonical JSON and the event hash chain shared by the DB `events` table and the NDJSON
 * audit log, so the two can be cross-checked line by line.
 *
 * Canonical form: object keys sorted by UTF-16 code units, no whitespace, ECMAScript number
 * formatting, `undefined` members dropped. That is the RFC 8785 (JCS) shape, so another
 * implementation (a PostgreSQL backend, an auditor's script) can reproduce hashes.
 */
import { createHash } from "node:crypto";
import { ZwhError } from "../core/errors";

export const GENESIS_HASH = "0".repeat(64);

export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) {
        throw new ZwhError("ZWH-STORE-CANONICAL", "non-finite numbers cannot be stored in the audit chain");
      }
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "bigint":
      throw new ZwhError("ZWH-STORE-CANONICAL", "bigint values cannot be stored in the audit chain");
    case "object": {
      if (Array.isArray(value)) {
        // JSON.stringify turns undefined array members into null; do the same.
        return "[" + value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",") + "]";
      }
      const toJson = (value as { toJSON?: () => unknown }).toJSON;
      if (typeof toJson === "function") return canonicalJson(toJson.call(value));
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined && typeof obj[k] !== "function")
        .sort();
      return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(obj[k])).join(",") + "}";
    }
    default:
      throw new ZwhError("ZWH-STORE-CANONICAL", `cannot canonicalise a ${typeof value}`);
  }
}

/** The part of an event that is hashed: everything except prev_hash/hash themselves. */
export interface ChainBody {
  seq: number;
  ts: string;
  run_id: string | null;
  host: string | null;
  type: string;
  payload: unknown;
}

/**
 * hash = sha256(prev_hash ‖ canonical(body)). The body covers seq, ts, run, host and type as
 * well as the payload: hashing the payload alone would let someone re-date or re-label an
 * event without breaking the chain.
 */
export function chainHash(prevHash: string, body: ChainBody): string {
  return createHash("sha256")
    .update(prevHash, "utf8")
    .update(canonicalJson({ seq: body.seq, ts: body.ts, run_id: body.run_id, host: body.host, type: body.type, payload: body.payload ?? null }), "utf8")
    .digest("hex");
}

/** One NDJSON audit line (also the shape returned when reading the log). */
export interface AuditLine extends ChainBody {
  prev_hash: string;
  hash: string;
}
