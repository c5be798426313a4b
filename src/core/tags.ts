/**
 * Wheel tag compatibility for a z/OS CPython target.
 *
 * "A tag does not prove z/OS" (zos-uss.md §7): `cp312-none-any` installs on Linux too, and
 * z/OS native tags through 3.13 name the exact release and CPU model (`os390_29_00_8561`).
 * So the decision is made here from the target description, and pip's own list (captured on
 * the target by the probe) is an additional filter, never a replacement:
 *
 *   installable ⇔ wheel tags ∩ defaultCompatibleTags(target) ≠ ∅
 *                 and, when the probe gave pip's list, wheel tags ∩ compatibleTags ≠ ∅.
 *
 * defaultCompatibleTags() reproduces pip's (packaging.tags.sys_tags) priority order for
 * CPython with a single generic platform: cpXY-cpXY-P, cpXY-abi3-P, cpXY-none-P,
 * cp3(Y-1..2)-abi3-P, py3Y/py3/py3(Y-1..0)-none-P, cpXY-none-any, py3Y/py3/...-none-any.
 * For 3.14 on `zos` that gives 48 tags with cp314-none-any at position 32, as observed.
 */
import { refusal, ZwhError } from "./errors";
import type { WheelFilename } from "./wheel-filename";

export interface TargetDescription {
  /** "3.11" or "3.11.7"; only major.minor matter for tags. */
  pythonVersion: string;
  /** Interpreter implementation; Wheelhouse supports CPython ("cp") only. */
  implementation?: string;
  /** sysconfig.get_platform() of the target: "os390-29.00-8561" (≤3.13) or "zos" (3.14+). */
  platform: string;
  /** pip's compatible tags captured on the target (priority order), when the probe ran. */
  compatibleTags?: string[];
}

export interface TagCheck {
  compatible: boolean;
  /** Wheel tags that the target accepts, best first. */
  matched: string[];
  best?: string;
  /** 0-based position of `best` in the priority list used (pip's, else ours). */
  priority?: number;
  /** Why not, when not compatible. */
  finding?: ZwhError;
}

const FOREIGN_PLATFORMS: Array<[RegExp, string]> = [
  [/^manylinux/, "Linux (manylinux)"],
  [/^musllinux/, "Linux (musllinux)"],
  [/^linux_/, "Linux"],
  [/^macosx/, "macOS"],
  [/^win/, "Windows"],
  [/^(ios|android|cygwin|freebsd|netbsd|openbsd|solaris|aix|emscripten|wasi|pyodide)/, "another operating system"],
];

/** sysconfig platform → wheel platform tag, as packaging does (`-` and `.` → `_`, lowercase). */
export function platformTag(platform: string): string {
  const p = platform.trim();
  if (!p) throw badTarget("platform is empty");
  return p.toLowerCase().replace(/[-.\s]/g, "_");
}

/** True for z/OS platform tags: `os390_<release>_<model>` and `zos`. */
export function isZosPlatformTag(tag: string): boolean {
  return tag === "zos" || /^os390_/.test(tag);
}

function parsePython(pythonVersion: string): { major: number; minor: number } {
  const m = /^(\d+)\.(\d+)(?:\.\d+.*)?$/.exec(pythonVersion.trim());
  if (!m) throw badTarget(`python version "${pythonVersion}" is not MAJOR.MINOR`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== 3) throw badTarget(`python ${pythonVersion} is not Python 3`);
  return { major, minor };
}

/** pip's compatible tag list (priority order) for a CPython target on one platform. */
export function defaultCompatibleTags(target: Pick<TargetDescription, "pythonVersion" | "platform" | "implementation">): string[] {
  const impl = target.implementation ?? "cp";
  if (impl !== "cp") throw badTarget(`implementation "${impl}" is not supported (CPython only)`);
  const { major, minor } = parsePython(target.pythonVersion);
  const plat = platformTag(target.platform);
  const cp = `cp${major}${minor}`;
  const tags: string[] = [];
  // cpython_tags(): the interpreter's own ABI, then abi3, then none.
  tags.push(`${cp}-${cp}-${plat}`);
  // abi3 exists from Python 3.2.
  const abi3 = minor >= 2;
  if (abi3) tags.push(`${cp}-abi3-${plat}`);
  tags.push(`${cp}-none-${plat}`);
  if (abi3) for (let m = minor - 1; m >= 2; m--) tags.push(`cp${major}${m}-abi3-${plat}`);
  // compatible_tags(): generic pyXY tags on the platform, then interpreter-none-any, then pyXY-none-any.
  const pyRange = [`py${major}${minor}`, `py${major}`];
  for (let m = minor - 1; m >= 0; m--) pyRange.push(`py${major}${m}`);
  for (const py of pyRange) tags.push(`${py}-none-${plat}`);
  tags.push(`${cp}-none-any`);
  for (const py of pyRange) tags.push(`${py}-none-any`);
  return tags;
}

/** Decide whether a wheel (its filename or its tag list) installs on the target. */
export function checkWheelTags(wheel: WheelFilename | string[], target: TargetDescription, subject?: string): TagCheck {
  const tags = Array.isArray(wheel) ? wheel : wheel.tags;
  const what = subject ?? (Array.isArray(wheel) ? tags.join(".") : wheel.filename);
  const defaults = defaultCompatibleTags(target);
  const priorityList = target.compatibleTags && target.compatibleTags.length ? target.compatibleTags : defaults;
  const ours = new Set(defaults);
  const pips = target.compatibleTags && target.compatibleTags.length ? new Set(target.compatibleTags) : null;
  const ok = tags.filter((t) => ours.has(t) && (!pips || pips.has(t)));
  if (ok.length) {
    const rank = (t: string) => priorityList.indexOf(t);
    const matched = [...ok].sort((a, b) => rank(a) - rank(b));
    return { compatible: true, matched, best: matched[0], priority: rank(matched[0]) };
  }
  return { compatible: false, matched: [], finding: explainMismatch(tags, target, what, defaults, pips) };
}

/** Throwing form of checkWheelTags(). */
export function assertWheelTagsCompatible(wheel: WheelFilename | string[], target: TargetDescription, subject?: string): TagCheck {
  const r = checkWheelTags(wheel, target, subject);
  if (!r.compatible) throw r.finding!;
  return r;
}

function explainMismatch(tags: string[], target: TargetDescription, what: string, defaults: string[], pips: Set<string> | null): ZwhError {
  const plat = platformTag(target.platform);
  const details = { wheelTags: tags, targetPlatform: plat, pythonVersion: target.pythonVersion };
  const platforms = [...new Set(tags.map((t) => t.split("-")[2]))];
  const hint = `The target is CPython ${target.pythonVersion} on ${plat}; use py3-none-any, cpXY-none-any or a wheel built for exactly this platform.`;
  if (!platforms.some((p) => p === "any" || p === plat)) {
    for (const p of platforms) {
      const foreign = FOREIGN_PLATFORMS.find(([re]) => re.test(p));
      if (foreign) {
        return refusal("ZWH-WHEEL-PLATFORM", `${what} is built for ${foreign[1]} (${p}), not for z/OS ${plat}`, { subject: what, hint, details });
      }
    }
    const zos = platforms.find(isZosPlatformTag);
    return refusal(
      "ZWH-WHEEL-PLATFORM",
      zos
        ? `${what} is built for z/OS platform ${zos}, but the target is ${plat} (z/OS native tags name the exact release and CPU model)`
        : `${what} has platform tag(s) ${platforms.join(", ")}, which do not match the target ${plat}`,
      { subject: what, hint, details },
    );
  }
  if (pips && tags.some((t) => defaults.includes(t))) {
    return refusal("ZWH-WHEEL-INCOMPATIBLE-TAG", `${what}: none of its tags (${tags.join(", ")}) is in the target pip's compatible tag list`, {
      subject: what,
      hint: "The target's pip would not install this wheel; check the target Python version and pip's `pip debug --verbose` tags.",
      details,
    });
  }
  return refusal("ZWH-WHEEL-INCOMPATIBLE-TAG", `${what}: tags ${tags.join(", ")} do not fit CPython ${target.pythonVersion} on ${plat}`, {
    subject: what,
    hint,
    details,
  });
}

function badTarget(why: string): ZwhError {
  return new ZwhError("ZWH-TARGET-INVALID", `invalid target description: ${why}`, {
    hint: 'Describe the target like { pythonVersion: "3.12", platform: "os390-29.00-8561" }.',
  });
}
