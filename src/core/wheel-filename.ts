/**
 * Wheel filenames: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
 *
 * Tags may be compressed sets joined with `.` (`py2.py3-none-any`, `cp311.cp312-abi3-...`);
 * the expanded tag set is the cartesian product. The filename is what pip matches tags
 * against, so it is parsed strictly: anything that is not a wheel (sdist, egg, installer) is
 * refused with ZWH-WHEEL-NOT-WHEEL, a malformed wheel name with ZWH-WHEEL-FILENAME.
 */
import { refusal, ZwhError } from "./errors";
import { isValidVersion, normalizeVersion } from "./pep440";
import { normalizeName } from "./names";

export interface WheelFilename {
  filename: string;
  /** The distribution part exactly as written in the filename (often `foo_bar`). */
  name: string;
  /** PEP 503 normalized project name (`foo-bar`). */
  normalizedName: string;
  /** Version as written in the filename. */
  version: string;
  /** PEP 440 normalized version. */
  normalizedVersion: string;
  /** Optional build tag; pip sorts by (number, rest). */
  build?: { number: number; tag: string; raw: string };
  pythonTags: string[];
  abiTags: string[];
  platformTags: string[];
  /** Every `py-abi-plat` triple the wheel claims, in filename order. */
  tags: string[];
}

const NON_WHEEL_SUFFIXES = [".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip", ".egg", ".exe", ".msi", ".rpm", ".deb"];
// Distribution part: PEP 427 escapes `-` as `_`, so no `-` remains; letters, digits, `_` and `.`.
const DIST_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?$/;
const BUILD_RE = /^(\d+)([A-Za-z0-9_.]*)$/;
const TAG_PART_RE = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;

export function parseWheelFilename(filename: string): WheelFilename {
  if (typeof filename !== "string" || filename === "") throw badName(String(filename), "empty filename");
  if (/[\\/]/.test(filename)) throw badName(filename, "a wheel filename must not contain a directory part");
  if (!filename.endsWith(".whl")) {
    const lower = filename.toLowerCase();
    const kind = NON_WHEEL_SUFFIXES.find((s) => lower.endsWith(s));
    throw refusal("ZWH-WHEEL-NOT-WHEEL", `${filename} is not a wheel${kind ? ` (${kind} archive)` : ""}; only .whl files can be bundled`, {
      subject: filename,
      hint: "Wheelhouse installs wheels only (pip --only-binary=:all:). Build or download a wheel for the target instead of an sdist or egg.",
    });
  }
  const stem = filename.slice(0, -".whl".length);
  const parts = stem.split("-");
  if (parts.length !== 5 && parts.length !== 6) {
    throw badName(filename, `expected 5 or 6 dash-separated fields, found ${parts.length}`);
  }
  const [name, version] = parts;
  const [py, abi, plat] = parts.slice(-3);
  if (!DIST_RE.test(name)) throw badName(filename, `"${name}" is not a valid distribution name`);
  if (!isValidVersion(version)) throw badName(filename, `"${version}" is not a valid PEP 440 version`);
  let build: WheelFilename["build"];
  if (parts.length === 6) {
    const m = BUILD_RE.exec(parts[2]);
    if (!m) throw badName(filename, `build tag "${parts[2]}" must start with a digit`);
    build = { number: Number(m[1]), tag: m[2], raw: parts[2] };
  }
  for (const [what, t] of [["python", py], ["abi", abi], ["platform", plat]] as const) {
    if (!TAG_PART_RE.test(t)) throw badName(filename, `invalid ${what} tag "${t}"`);
  }
  const pythonTags = uniq(py.split("."));
  const abiTags = uniq(abi.split("."));
  const platformTags = uniq(plat.split("."));
  const tags: string[] = [];
  for (const p of pythonTags) for (const a of abiTags) for (const pl of platformTags) tags.push(`${p}-${a}-${pl}`);
  return {
    filename,
    name,
    normalizedName: normalizeName(name),
    version,
    normalizedVersion: normalizeVersion(version),
    build,
    pythonTags,
    abiTags,
    platformTags,
    tags,
  };
}

/** Expand one compressed tag triple (`py2.py3-none-any`) into its members. */
export function expandTags(compressed: string): string[] {
  const parts = compressed.split("-");
  if (parts.length !== 3 || parts.some((p) => !TAG_PART_RE.test(p))) {
    throw new ZwhError("ZWH-WHEEL-TAG", `"${compressed}" is not a python-abi-platform tag`, { subject: compressed });
  }
  const [py, abi, plat] = parts.map((p) => uniq(p.split(".")));
  const out: string[] = [];
  for (const p of py) for (const a of abi) for (const pl of plat) out.push(`${p}-${a}-${pl}`);
  return out;
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

function badName(filename: string, why: string): ZwhError {
  return refusal("ZWH-WHEEL-FILENAME", `invalid wheel filename ${filename}: ${why}`, {
    subject: filename,
    hint: "Wheel files are named {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl (PEP 427); do not rename wheels.",
  });
}
