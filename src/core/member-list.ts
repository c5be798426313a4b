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
 *
 * The member LAYOUT is where a reader finds each member's bytes and how it decodes them:
 *   `<name> <local header offset> <data offset> <method> <compressed size> <size> <crc-32 hex8>\n`
 * in the same order and digest form. Given the same file bytes (the target re-hashes the wheel
 * first), two readers that agree on every layout line read the same compressed bytes with the same
 * method and size, so they produce the same content: the workstation inflated and hashed that
 * content, and the target need not inflate it again (zwh_deploy.py wheel-members --expect-file).
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

export interface MemberLayoutLine {
  name: string;
  localOffset: number;
  dataOffset: number;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
}

function digestOf<T extends { name: string }>(items: T[], line: (x: T) => string): MemberListDigest {
  const sorted = items.map((m) => ({ m, key: Buffer.from(m.name, "utf8") })).sort((a, b) => Buffer.compare(a.key, b.key));
  const h = createHash("sha256");
  for (const { m } of sorted) h.update(line(m), "utf8");
  return { count: items.length, sha256: h.digest("hex") };
}

export function memberListDigest(members: MemberLine[]): MemberListDigest {
  return digestOf(members, (m) => `${m.sha256} ${m.size} ${m.name}\n`);
}

export function memberLayoutDigest(members: MemberLayoutLine[]): MemberListDigest {
  return digestOf(members, (m) =>
    `${m.name} ${m.localOffset} ${m.dataOffset} ${m.method} ${m.compressedSize} ${m.size} ${(m.crc32 >>> 0).toString(16).padStart(8, "0")}\n`);
}
