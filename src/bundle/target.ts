/**
 * The target a bundle is closed for: from `zwh target probe --json` output, or derived from
 * --python/--platform for z/OS. Also the consistency check between a probe and a manifest.
 */
import { ZwhError, refusal } from "../core/errors";
import { MARKER_VARIABLES, MarkerEnvironment } from "../core/pep508";
import { defaultCompatibleTags, TargetDescription } from "../core/tags";
import { BUNDLE } from "./codes";
import { bundleIoError } from "./files";
import type { BundleTarget } from "./statement";
import { readInputText } from "../io/input-file";

function bad(msg: string, subject?: string, hint?: string): ZwhError {
  return new ZwhError(BUNDLE.TARGET_INVALID, msg, {
    subject,
    hint: hint ?? "Pass the JSON printed by 'zwh target probe --json', or --python 3.12 --platform os390-29.00-8561.",
  });
}

/** "3.12.3" → "3.12" */
export function majorMinor(version: string): string {
  const m = /^(\d+)\.(\d+)/.exec(version.trim());
  if (!m) throw bad(`python version "${version}" is not MAJOR.MINOR[.PATCH]`);
  return `${m[1]}.${m[2]}`;
}

/**
 * Target from probe JSON, raw or wrapped by the runner ({formatVersion, command, ok, ...}).
 * Uses python.version / implementation / sysconfigPlatform, compatibleTags and markerEnv.
 */
export function targetFromProbe(probe: unknown, source = "target probe"): BundleTarget {
  if (typeof probe !== "object" || probe === null || Array.isArray(probe)) throw bad(`${source} is not a JSON object`, source);
  let o = probe as Record<string, unknown>;
  // A runner envelope whose payload is nested (defensive: {data: {...}}).
  if (!("python" in o) && typeof o.data === "object" && o.data !== null) o = o.data as Record<string, unknown>;
  if (o.ok === false) throw bad(`${source} is the output of a failed probe`, source);
  const py = o.python as Record<string, unknown> | undefined;
  if (!py || typeof py !== "object") throw bad(`${source} has no "python" object`, source);
  const version = py.version;
  if (typeof version !== "string") throw bad(`${source}: python.version is missing`, source);
  const platform = py.sysconfigPlatform;
  if (typeof platform !== "string" || platform === "") throw bad(`${source}: python.sysconfigPlatform is missing`, source);
  const impl = typeof py.implementation === "string" ? py.implementation : "cpython";
  const tags = o.compatibleTags;
  if (!Array.isArray(tags) || tags.length === 0 || tags.some((t) => typeof t !== "string")) {
    throw bad(`${source}: compatibleTags is missing or empty (the probe could not ask the target's pip)`, source);
  }
  const envRaw = o.markerEnv;
  if (typeof envRaw !== "object" || envRaw === null) throw bad(`${source}: markerEnv is missing`, source);
  const markerEnv: MarkerEnvironment = {};
  for (const k of MARKER_VARIABLES) {
    if (k === "extra") continue;
    const val = (envRaw as Record<string, unknown>)[k];
    if (typeof val === "string") markerEnv[k] = val;
  }
  for (const need of ["python_version", "python_full_version", "sys_platform", "platform_system", "os_name", "implementation_name"] as const) {
    if (markerEnv[need] === undefined) throw bad(`${source}: markerEnv.${need} is missing`, source);
  }
  return { pythonVersion: majorMinor(version), implementation: impl, platform, compatibleTags: tags as string[], markerEnv };
}

export function loadTargetEnv(file: string): BundleTarget {
  const text = readInputText(file, { what: "--target-env", ioError: (e) => bundleIoError(`cannot read --target-env ${file}`, file, e) });
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw bad(`--target-env ${file} is not JSON (${(e as Error).message})`, file);
  }
  return targetFromProbe(obj, file);
}

/**
 * A z/OS target described by hand. `python` is "3.12" or "3.12.3" (python_full_version is
 * "3.12.0" when no patch level is given); `platform` is sysconfig.get_platform() of the target,
 * "os390-<release>-<machine>" (3.12/3.13) or "zos" (3.14+, no release/machine in it).
 */
export function zosTarget(python: string, platform: string, opts: { platformVersion?: string; platformRelease?: string; platformMachine?: string } = {}): BundleTarget {
  const mm = majorMinor(python);
  const full = /^\d+\.\d+\.\d+$/.test(python.trim()) ? python.trim() : `${mm}.0`;
  const plat = platform.trim();
  const m = /^os390-([^-]+)-([^-]+)$/.exec(plat);
  if (!m && plat !== "zos") {
    throw bad(`--platform "${platform}" is not a z/OS platform (os390-<release>-<machine>, e.g. os390-29.00-8561, or zos)`, platform,
      "For other targets use --target-env with the probe output of that target.");
  }
  const markerEnv: MarkerEnvironment = {
    implementation_name: "cpython",
    implementation_version: full,
    os_name: "posix",
    platform_machine: opts.platformMachine ?? (m ? m[2] : ""),
    platform_python_implementation: "CPython",
    platform_release: opts.platformRelease ?? (m ? m[1] : ""),
    platform_system: "OS/390",
    platform_version: opts.platformVersion ?? "",
    python_full_version: full,
    python_version: mm,
    sys_platform: "zos",
  };
  const compatibleTags = defaultCompatibleTags({ pythonVersion: mm, platform: plat, implementation: "cp" });
  return { pythonVersion: mm, implementation: "cpython", platform: plat, compatibleTags, markerEnv };
}

/** The tags module's view of a bundle target. */
export function tagTarget(t: BundleTarget): TargetDescription {
  const impl = t.implementation === "cpython" || t.implementation === "cp" ? "cp" : t.implementation;
  return { pythonVersion: t.pythonVersion, implementation: impl, platform: t.platform, compatibleTags: t.compatibleTags };
}

/** Marker variables that must agree between a probe and the manifest's target. */
const IDENTITY_VARS = ["python_version", "sys_platform", "platform_system", "os_name", "implementation_name", "platform_python_implementation", "platform_machine", "platform_release"] as const;

/** Refusals (ZWH-BUNDLE-TARGET-MISMATCH) when the probed target is not what the bundle was closed for. */
export function compareTargets(manifest: BundleTarget, probed: BundleTarget, subject: string): ZwhError[] {
  const out: ZwhError[] = [];
  const diff = (field: string, a: string | undefined, b: string | undefined) => {
    out.push(refusal(BUNDLE.TARGET_MISMATCH, `the bundle was closed for ${field}=${JSON.stringify(a)}, but the target has ${JSON.stringify(b)}`, {
      subject,
      details: { field, manifest: a ?? null, target: b ?? null },
      hint: "Build a bundle for this target (zwh bundle create --target-env with this target's probe output).",
    }));
  };
  if (manifest.pythonVersion !== probed.pythonVersion) diff("pythonVersion", manifest.pythonVersion, probed.pythonVersion);
  if (manifest.platform !== probed.platform) diff("platform", manifest.platform, probed.platform);
  if (manifest.implementation !== probed.implementation) diff("implementation", manifest.implementation, probed.implementation);
  for (const k of IDENTITY_VARS) {
    const a = manifest.markerEnv[k];
    const b = probed.markerEnv[k];
    // An empty value in the manifest means "not known when the bundle was built" (derived target).
    if (a !== undefined && a !== "" && b !== undefined && a !== b) diff(`markerEnv.${k}`, a, b);
  }
  return out;
}
