/**
 * Test-code policy (the Toolkit strips test code with weaknesses before publishing): find wheels
 * that ship test packages. A member counts as test code when a directory segment of its path
 * is `tests` or `test`, or its file name is `test_*.py` or `conftest.py` (.dist-info and .data
 * directories excluded). Only the zip central directory is read (names, no data): the wheel's
 * contents are verified separately against RECORD, so the names are the installed paths.
 */
import * as yauzl from "yauzl";
import { refusal, ZwhError } from "../core/errors";
import { normalizeName } from "../core/names";
import type { TestCodePolicy } from "./statement";

export const TEST_CODE = "ZWH-POLICY-TEST-CODE";

export function isTestPath(p: string): boolean {
  const parts = p.split("/");
  if (/\.(dist-info|data)$/.test(parts[0])) return false;
  const file = parts[parts.length - 1];
  if (parts.slice(0, -1).some((d) => d === "tests" || d === "test")) return true;
  return /^test_.*\.py$/.test(file) || file === "conftest.py";
}

/** Test paths in one wheel (central directory only). */
export function listTestPaths(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error("cannot open"));
      const out: string[] = [];
      zip.on("entry", (e: yauzl.Entry) => {
        if (!e.fileName.endsWith("/") && isTestPath(e.fileName)) out.push(e.fileName);
        zip.readEntry();
      });
      zip.on("end", () => resolve(out));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

export interface TestCodeHit {
  filename: string;
  paths: string[];
  excepted: boolean;
}

function isExcepted(policy: TestCodePolicy, w: { filename: string; name: string }): boolean {
  return policy.exceptions.some((x) => x === w.filename || normalizeName(x) === normalizeName(w.name));
}

/** Scan wheels; findings are refusals in "refuse" mode for wheels without an exception. */
export async function checkTestCode(wheels: Array<{ filename: string; name: string; path: string }>, policy: TestCodePolicy): Promise<{ hits: TestCodeHit[]; findings: ZwhError[] }> {
  const hits: TestCodeHit[] = [];
  const findings: ZwhError[] = [];
  for (const w of wheels) {
    let paths: string[];
    try {
      paths = await listTestPaths(w.path);
    } catch {
      continue; // unreadable wheels are reported by the wheel verification
    }
    if (!paths.length) continue;
    const excepted = isExcepted(policy, w);
    hits.push({ filename: w.filename, paths, excepted });
    if (policy.mode === "refuse" && !excepted) {
      findings.push(refusal(TEST_CODE, `${w.filename} ships test code (${paths.length} file(s), e.g. ${paths.slice(0, 3).join(", ")})`, {
        subject: w.filename,
        details: { filename: w.filename, paths: paths.slice(0, 50), count: paths.length },
        hint: `Use a wheel built without tests, or exempt it with --test-code-allow ${w.filename} when creating the bundle.`,
      }));
    }
  }
  return { hits, findings };
}
