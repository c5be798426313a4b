/**
 * `requirements.lock.txt`: generated from the manifest's wheel facts, never passed through
 * from a third party (supply-chain.md §3). Exactly one line per wheel,
 *   <normalized name>==<version> --hash=sha256:<hex>
 * sorted by normalized name, LF line endings, a trailing newline, no option lines. The bytes
 * depend only on the set of (name, version, sha256), so the verifier can regenerate the file
 * and compare byte for byte (§8 step 6).
 */
import { refusal, ZwhError } from "./errors";
import { isValidVersion } from "./pep440";
import { isValidProjectName, normalizeName } from "./names";

export interface LockWheel {
  name: string;
  version: string;
  sha256: string;
}

export function generateLockfile(wheels: LockWheel[]): string {
  const rows = wheels.map((w) => {
    if (!isValidProjectName(w.name)) throw invalid(`"${w.name}" is not a valid project name`);
    // The version goes verbatim into a pip requirement: it must be a plain PEP 440 version.
    if (!isValidVersion(w.version) || /\s/.test(w.version)) throw invalid(`${w.name}: "${w.version}" is not a valid PEP 440 version`);
    const sha = w.sha256.toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(sha)) throw invalid(`${w.name}: "${w.sha256}" is not a sha256 hex digest`);
    return { project: normalizeName(w.name), version: w.version, sha };
  });
  rows.sort((a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0));
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].project === rows[i - 1].project) {
      throw refusal("ZWH-POLICY-DUPLICATE-PROJECT", `${rows[i].project} appears more than once; a lock holds one version per project`, { subject: rows[i].project });
    }
  }
  return rows.map((r) => `${r.project}==${r.version} --hash=sha256:${r.sha}\n`).join("");
}

/** Byte-compare a lock file with the one regenerated from the wheels (ZWH-LOCK-MISMATCH). */
export function verifyLockfile(actual: Buffer | string, wheels: LockWheel[], subject = "requirements.lock.txt"): void {
  const expected = Buffer.from(generateLockfile(wheels), "utf8");
  const got = typeof actual === "string" ? Buffer.from(actual, "utf8") : actual;
  if (!got.equals(expected)) {
    const e = expected.toString("utf8").split("\n");
    const a = got.toString("utf8").split("\n");
    let line = 0;
    while (line < Math.max(e.length, a.length) && e[line] === a[line]) line++;
    throw refusal("ZWH-LOCK-MISMATCH", `${subject} differs from the lock regenerated from the manifest (first difference at line ${line + 1})`, {
      subject,
      details: { line: line + 1, expected: e[line] ?? null, actual: a[line] ?? null },
      hint: "The lock file is generated from the signed manifest; a different lock means the bundle was altered.",
    });
  }
}

function invalid(why: string): ZwhError {
  return refusal("ZWH-LOCK-INVALID", `cannot generate the lock file: ${why}`);
}
