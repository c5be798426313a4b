/**
 * Content checks shared by `bundle create` (before anything is written) and `bundle verify`:
 * platform tags, closure, policy, lock. Each returns findings instead of throwing.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { refusal, ZwhError } from "../core/errors";
import { resolveClosure, ClosureResult, ClosureWheel } from "../core/closure";
import { checkDenied, checkOneVersionPerProject, DenyList, parseDenyList } from "../core/policy";
import { checkWheelTags } from "../core/tags";
import { parseWheelFilename } from "../core/wheel-filename";
import { generateLockfile } from "../core/lockfile";
import type { WheelFacts } from "./wheel-verify";
import { BUNDLE } from "./codes";
import { BundleTarget, BundleWheel, LOCK_FILE, STARTUP_HOOK_RE } from "./statement";
import { startupHookFileName } from "../core/wheel-paths";
import { normalizeName } from "../core/names";
import { tagTarget } from "./target";

/** The manifest entry of a verified wheel. */
export function wheelEntryFromFacts(f: WheelFacts): BundleWheel {
  return {
    filename: f.filename,
    name: f.normalizedName,
    version: f.version,
    sha256: f.sha256,
    size: f.size,
    tags: [...f.tags],
    recordSha256: f.recordSha256,
    requiresPython: f.requiresPython ?? null,
    requiresDist: [...f.requiresDist],
    members: { ...f.members },
  };
}

/**
 * ZWH-WHEEL-STARTUP-HOOK for every `.pth` start-up hook a wheel would install that the signed
 * policy does not allow (`<project>:<file>`): code in it would run at every interpreter start,
 * including pip's own checks on the target.
 */
export function checkStartupHooks(facts: Array<Pick<WheelFacts, "filename" | "normalizedName" | "startupHooks">>, allowed: string[]): ZwhError[] {
  const allow = new Set(allowed);
  const out: ZwhError[] = [];
  for (const f of facts) {
    for (const member of f.startupHooks) {
      const file = startupHookFileName(member);
      if (allow.has(`${f.normalizedName}:${file}`)) continue;
      out.push(refusal("ZWH-WHEEL-STARTUP-HOOK", `${f.filename}: ${member} is a start-up hook (a .pth file in site-packages runs its import lines at every interpreter start)`, {
        subject: f.filename,
        details: { wheel: f.filename, file: member, allow: `${f.normalizedName}:${file}` },
        hint: `If this hook is expected, allow it in the signed policy: bundle create --allow-startup-hook ${f.normalizedName}:${file}`,
      }));
    }
  }
  return out;
}

/** Parse --allow-startup-hook values (`project:file.pth`); the project name is normalized. */
export function parseStartupHookAllows(values: string[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    const m = /^([^:]+):(.+)$/.exec(v.trim());
    const norm = m ? `${normalizeName(m[1])}:${m[2]}` : v;
    if (!m || !STARTUP_HOOK_RE.test(norm)) {
      throw new ZwhError(BUNDLE.USAGE, `--allow-startup-hook "${v}" is not PROJECT:FILE.pth`, { hint: "Example: --allow-startup-hook setuptools:distutils-precedence.pth" });
    }
    out.add(norm);
  }
  return [...out].sort();
}

/** ZWH-WHEEL-PLATFORM / ZWH-WHEEL-INCOMPATIBLE-TAG for wheels the target cannot install. */
export function checkPlatform(wheels: Array<Pick<BundleWheel, "filename">>, target: BundleTarget): ZwhError[] {
  const out: ZwhError[] = [];
  const t = tagTarget(target);
  for (const w of wheels) {
    let fn;
    try {
      fn = parseWheelFilename(w.filename);
    } catch {
      continue; // reported by the wheel step
    }
    try {
      const r = checkWheelTags(fn, t);
      if (!r.compatible && r.finding) out.push(r.finding);
    } catch (e) {
      out.push(e instanceof ZwhError ? e : refusal("ZWH-TARGET-INVALID", String(e)));
    }
  }
  return out;
}

export function checkClosure(wheels: BundleWheel[], requirements: string[], target: BundleTarget, providesExtra?: Map<string, string[]>): ClosureResult {
  const cw: ClosureWheel[] = wheels.map((w) => ({
    filename: w.filename,
    name: w.name,
    version: w.version,
    requiresDist: w.requiresDist,
    requiresPython: w.requiresPython ?? undefined,
    ...(providesExtra?.has(w.filename) ? { providesExtra: providesExtra.get(w.filename) } : {}),
  }));
  return resolveClosure(cw, requirements.length ? requirements : undefined, target.markerEnv);
}

/** The manifest's deny rules as a DenyList (rules are re-parsed exactly as create parsed them). */
export function denyListFromRules(rules: string[], source = "manifest deny list"): DenyList {
  return parseDenyList(rules.join("\n") + (rules.length ? "\n" : ""), source);
}

export function checkDenyLists(wheels: BundleWheel[], lists: DenyList[]): ZwhError[] {
  const out: ZwhError[] = [];
  for (const list of lists) for (const w of wheels) out.push(...checkDenied(list, w));
  return out;
}

/** Deny lists and one version per project. */
export function checkPolicy(wheels: BundleWheel[], lists: DenyList[]): ZwhError[] {
  return [...checkOneVersionPerProject(wheels), ...checkDenyLists(wheels, lists)];
}

/** Compare the lock file bytes with the regenerated lock (ZWH-BUNDLE-LOCK-MISMATCH). */
export function checkLock(actual: Buffer, wheels: BundleWheel[]): ZwhError[] {
  let expected: Buffer;
  try {
    expected = Buffer.from(generateLockfile(wheels), "utf8");
  } catch (e) {
    // Duplicate projects are reported by the policy step; other lock errors are findings here.
    if (e instanceof ZwhError && e.code === "ZWH-POLICY-DUPLICATE-PROJECT") return [];
    return [e instanceof ZwhError ? e : refusal(BUNDLE.LOCK_MISMATCH, String(e), { subject: LOCK_FILE })];
  }
  if (actual.equals(expected)) return [];
  const e = expected.toString("utf8").split("\n");
  const a = actual.toString("utf8").split("\n");
  let line = 0;
  while (line < Math.max(e.length, a.length) && e[line] === a[line]) line++;
  return [
    refusal(BUNDLE.LOCK_MISMATCH, `${LOCK_FILE} differs from the lock regenerated from the manifest (first difference at line ${line + 1})`, {
      subject: LOCK_FILE,
      details: { line: line + 1, expected: e[line] ?? null, actual: a[line] ?? null },
      hint: "The lock file is generated from the signed manifest and pip installs from it; a different lock means the bundle was altered. Obtain the bundle again.",
    }),
  ];
}

export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const h = crypto.createHash("sha256");
  let size = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest("hex"), size };
}

/** First finding, carrying every finding in details.findings (for --json and for callers). */
export function firstWithAll(findings: ZwhError[]): ZwhError {
  const f = findings[0];
  return new ZwhError(f.code, f.message, {
    subject: f.subject,
    hint: f.hint,
    exitCode: f.exitCode,
    details: { ...(f.details ?? {}), findings: findings.map((x) => x.toJSON()) },
  });
}
