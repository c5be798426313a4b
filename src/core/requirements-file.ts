/**
 * Hashed requirements files in the IBM Python AI Toolkit format (supply-chain.md §2), e.g.
 *
 *   --index-url https://downloads.pyaitoolkit.ibm.net/repository/python_ai_toolkit_zos/simple
 *   --trusted-host downloads.pyaitoolkit.ibm.net
 *   --require-hashes
 *   --only-binary :all:
 *   alembic==1.18.1 --hash=sha256:6532c5c5… \
 *       --hash=sha256:…          # continuation lines and comments allowed
 *
 * The file is the publisher's second channel: `bundle create --from-requirements` checks every
 * wheel against its pinned hash (matchWheelsToPins). Only what the Toolkit writes is accepted:
 * the four header options (and --extra-index-url), `name==version` pins (optionally with extras
 * and a PEP 508 marker), sha256 hashes. Anything pip could follow elsewhere (-r, -c, -e,
 * --find-links, URLs) is refused, because a third-party file must never steer what gets read.
 * Pure: text in, facts and findings out.
 */
import { refusal, ZwhError } from "./errors";
import { evaluateMarker, MarkerEnvironment, parseRequirement } from "./pep508";
import { isValidVersion, versionsEqual } from "./pep440";
import { normalizeName } from "./names";

export const REQ = {
  /** The requirements file cannot be parsed (bad line, unsupported option, unpinned, no hash). */
  SYNTAX: "ZWH-REQ-SYNTAX",
  /** A pinned package (applicable on the target) has no wheel in the wheel directory. */
  MISSING_WHEEL: "ZWH-REQ-MISSING-WHEEL",
  /** A wheel in the wheel directory is not pinned in the requirements file. */
  EXTRA_WHEEL: "ZWH-REQ-EXTRA-WHEEL",
  /** A wheel's sha256 is not among the hashes pinned for its name and version. */
  HASH_MISMATCH: "ZWH-REQ-HASH-MISMATCH",
  /** A wheel's version differs from the pinned version of its project. */
  VERSION_MISMATCH: "ZWH-REQ-VERSION-MISMATCH",
} as const;

export interface RequirementPin {
  /** PEP 503 normalized name. */
  name: string;
  /** Name as written. */
  displayName: string;
  version: string;
  /** Lowercase hex sha256 digests (one or more). */
  hashes: string[];
  /** PEP 508 marker text, when the pin has one. */
  marker?: string;
  /** 1-based line where the pin starts. */
  line: number;
}

export interface HashedRequirements {
  /** File name (for messages and the statement). */
  source: string;
  indexUrl: string | null;
  extraIndexUrls: string[];
  trustedHosts: string[];
  requireHashes: boolean;
  /** `--only-binary :all:` was given. */
  onlyBinaryAll: boolean;
  pins: RequirementPin[];
}

const HASH_RE = /^--hash[= ](sha256|sha384|sha512|sha224|sha1|md5):([0-9A-Fa-f]+)$/;

function syntax(source: string, line: number, why: string, hint?: string): ZwhError {
  return new ZwhError(REQ.SYNTAX, `${source} line ${line}: ${why}`, {
    subject: source,
    details: { line },
    hint: hint ?? "Use the publisher's hashed requirements file as published (name==version --hash=sha256:... lines and the --index-url/--trusted-host/--require-hashes/--only-binary header).",
  });
}

/** Logical lines: continuations joined, comments removed; each with its first physical line number. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const physical = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  let buf = "";
  let start = 0;
  physical.forEach((raw, i) => {
    // pip: a comment starts at "#" at the line start or after whitespace.
    const hashAt = raw.search(/(^|\s)#/);
    let part = hashAt >= 0 ? raw.slice(0, hashAt) : raw;
    if (buf === "") start = i + 1;
    const cont = /\\\s*$/.test(part) && hashAt < 0;
    if (cont) part = part.replace(/\\\s*$/, "");
    buf += (buf ? " " : "") + part.trim();
    if (!cont) {
      if (buf.trim()) out.push({ line: start, text: buf.trim() });
      buf = "";
    }
  });
  if (buf.trim()) out.push({ line: start, text: buf.trim() });
  return out;
}

/** Split option tokens `--opt value` / `--opt=value` into [name, value]. */
function optionValue(tokens: string[], i: number): [string, string | undefined, number] {
  const t = tokens[i];
  const eq = t.indexOf("=");
  if (eq > 0) return [t.slice(0, eq), t.slice(eq + 1), i + 1];
  return [t, tokens[i + 1], i + 2];
}

/** Parse a Toolkit-format hashed requirements file. Throws ZWH-REQ-SYNTAX naming the line. */
export function parseHashedRequirements(text: string, source: string): HashedRequirements {
  const r: HashedRequirements = { source, indexUrl: null, extraIndexUrls: [], trustedHosts: [], requireHashes: false, onlyBinaryAll: false, pins: [] };
  const seen = new Map<string, number>();
  for (const { line, text: l } of logicalLines(text)) {
    if (l.startsWith("-")) {
      const tokens = l.split(/\s+/);
      let i = 0;
      while (i < tokens.length) {
        const [opt, val, next] = optionValue(tokens, i);
        switch (opt) {
          case "--index-url":
          case "-i":
            if (!val) throw syntax(source, line, `${opt} needs a URL`);
            r.indexUrl = val;
            i = next;
            break;
          case "--extra-index-url":
            if (!val) throw syntax(source, line, `${opt} needs a URL`);
            r.extraIndexUrls.push(val);
            i = next;
            break;
          case "--trusted-host":
            if (!val) throw syntax(source, line, `${opt} needs a host`);
            r.trustedHosts.push(val);
            i = next;
            break;
          case "--only-binary":
            if (val !== ":all:") throw syntax(source, line, `--only-binary ${val ?? ""} is not supported; only --only-binary :all: (wheels only)`);
            r.onlyBinaryAll = true;
            i = next;
            break;
          case "--require-hashes":
            r.requireHashes = true;
            i += 1;
            break;
          default:
            throw syntax(source, line, `option ${opt} is not supported in a hashed requirements file`, "Only --index-url, --extra-index-url, --trusted-host, --require-hashes and --only-binary :all: are read; -r, -c, -e and --find-links would make Wheelhouse read other sources.");
        }
      }
      continue;
    }
    // name[extras]==version [; marker] --hash=sha256:<hex> [--hash=...]
    const hashStart = l.search(/\s--hash[= ]/);
    if (hashStart < 0) throw syntax(source, line, `"${l}" has no --hash; every pin needs a sha256 hash`);
    const reqText = l.slice(0, hashStart).trim();
    const hashTokens = l.slice(hashStart).trim().replace(/--hash\s+/g, "--hash ").split(/\s+(?=--hash)/);
    const hashes: string[] = [];
    for (const h of hashTokens) {
      const m = HASH_RE.exec(h.trim());
      if (!m) throw syntax(source, line, `"${h.trim()}" is not --hash=sha256:<hex>`);
      if (m[1] !== "sha256") throw syntax(source, line, `${m[1]} hashes are not accepted; Wheelhouse checks sha256`, "Use the sha256 hashes the publisher lists.");
      if (m[2].length !== 64) throw syntax(source, line, `"${m[2]}" is not a 64-digit sha256`);
      const hex = m[2].toLowerCase();
      if (!hashes.includes(hex)) hashes.push(hex);
    }
    let req;
    try {
      req = parseRequirement(reqText);
    } catch (e) {
      throw syntax(source, line, (e as Error).message);
    }
    const c = req.clauses;
    if (c.length !== 1 || c[0].operator !== "==" || c[0].version.endsWith(".*") || !isValidVersion(c[0].version)) {
      throw syntax(source, line, `"${reqText}" is not pinned with ==<version>`, "A hashed requirements file pins every package to one version.");
    }
    const prev = seen.get(req.normalizedName);
    if (prev !== undefined && !req.marker) throw syntax(source, line, `${req.normalizedName} is pinned twice (also line ${prev})`);
    seen.set(req.normalizedName, line);
    const markerAt = reqText.indexOf(";");
    r.pins.push({
      name: req.normalizedName,
      displayName: req.name,
      version: c[0].version,
      hashes,
      ...(req.marker ? { marker: reqText.slice(markerAt + 1).trim() } : {}),
      line,
    });
  }
  if (!r.pins.length) throw syntax(source, 1, "pins no package");
  return r;
}

export interface PinnedWheel {
  filename: string;
  /** Normalized project name. */
  name: string;
  version: string;
  sha256: string;
}

/** Pins that apply on a target (marker true, or no marker). */
export function applicablePins(reqs: HashedRequirements, env: MarkerEnvironment): RequirementPin[] {
  return reqs.pins.filter((p) => !p.marker || evaluateMarker(p.marker, { ...env, extra: "" }));
}

/**
 * Check a wheel set against the pins (two-channel check, AUD-1): every wheel pinned at its
 * version with its sha256 among the pin's hashes, every applicable pin present. One finding per
 * package and case, each naming the package.
 */
export function matchWheelsToPins(wheels: PinnedWheel[], reqs: HashedRequirements, env: MarkerEnvironment): ZwhError[] {
  const out: ZwhError[] = [];
  const pins = applicablePins(reqs, env);
  const byName = new Map(pins.map((p) => [p.name, p]));
  const found = new Set<string>();
  for (const w of wheels) {
    const name = normalizeName(w.name);
    const pin = byName.get(name);
    if (!pin) {
      out.push(refusal(REQ.EXTRA_WHEEL, `${w.filename} (${name} ${w.version}) is not pinned in ${reqs.source}`, {
        subject: name,
        details: { package: name, version: w.version, filename: w.filename },
        hint: `Remove the wheel from the wheel directory, or use the requirements file that lists it.`,
      }));
      continue;
    }
    found.add(name);
    if (!versionsEqual(w.version, pin.version)) {
      out.push(refusal(REQ.VERSION_MISMATCH, `${w.filename}: ${name} ${w.version} differs from the pinned ${name}==${pin.version} (${reqs.source} line ${pin.line})`, {
        subject: name,
        details: { package: name, version: w.version, pinned: pin.version, filename: w.filename, line: pin.line },
        hint: `Download ${name}==${pin.version} as pinned.`,
      }));
      continue;
    }
    if (!pin.hashes.includes(w.sha256.toLowerCase())) {
      out.push(refusal(REQ.HASH_MISMATCH, `${w.filename}: sha256 ${w.sha256} is not a hash pinned for ${name}==${pin.version} in ${reqs.source} line ${pin.line}`, {
        subject: name,
        details: { package: name, version: w.version, filename: w.filename, sha256: w.sha256, pinned: pin.hashes, line: pin.line },
        hint: "The wheel is not the one the publisher lists: do not bundle it. Download it again from the publisher and compare with the published hash.",
      }));
    }
  }
  for (const p of pins) {
    if (!found.has(p.name)) {
      out.push(refusal(REQ.MISSING_WHEEL, `${p.name}==${p.version} (${reqs.source} line ${p.line}) has no wheel in the wheel directory`, {
        subject: p.name,
        details: { package: p.name, version: p.version, line: p.line },
        hint: `Download ${p.name}==${p.version} (pip download --no-deps --only-binary=:all: -r ${reqs.source}) into the wheel directory.`,
      }));
    }
  }
  return out;
}
