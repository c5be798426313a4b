/**
 * The member list of a wheel as a zip reader sees it, and its digest: what the workstation
 * verified, carried per wheel in the signed statement (`members`), and what the target
 * recomputes with Python's zipfile before pip runs (src/remote/helpers/zwh_wheelcheck.py
 * implements the same canonical form; keep the two in step).
 *
 * Canonical form: one line per entry (directories too), sorted by the UTF-8 bytes of the name:
 *   `<sha256 hex of the uncompressed content> <uncompressed size> <name>\n`
 * and the digest is the sha256 (hex) of the concatenated lines. Names cannot contain newlines
 * (control characters are refused by zip-names.ts), so the form is unambiguous.
 */
import { createHash } from "node:crypto";

export interface MemberLine {
  name: string;
  size: number;
  /** Lowercase hex sha256 of the uncompressed content. */
  sha256: string;
}

export interface MemberListDigest {
  count: number;
  sha256: string;
}

export function memberListDigest(members: MemberLine[]): MemberListDigest {
  const sorted = members.map((m) => ({ m, key: Buffer.from(m.name, "utf8") })).sort((a, b) => Buffer.compare(a.key, b.key));
  const h = createHash("sha256");
  for (const { m } of sorted) h.update(`${m.sha256} ${m.size} ${m.name}\n`, "utf8");
  return { count: members.length, sha256: h.digest("hex") };
}
