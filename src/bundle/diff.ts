/**
 * `bundle diff A B`: what changes between two package sets, each a bundle directory (its
 * statement's wheels) or a hashed requirements file (its pins). Pure comparison plus loading.
 *
 * Same version, different hash: for bundles, the wheel sha256 differs; with a requirements file
 * on one side, the bundle's sha256 is not among the pin's hashes; for two requirements files,
 * the pinned hash sets differ. Version order is PEP 440.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ZwhError } from "../core/errors";
import { readInputFile } from "../io/input-file";
import { compareVersions, isValidVersion } from "../core/pep440";
import { parseHashedRequirements } from "../core/requirements-file";
import { GateMatch } from "../core/osv-match";
import { BUNDLE } from "./codes";
import { readStatementFile } from "./files";
import { parseStatement } from "./statement";

export interface DiffSidePackage {
  name: string;
  version: string;
  /** Wheel sha256 (bundle: one; requirements: the pinned hashes). */
  hashes: string[];
  filename?: string;
}

export interface DiffSide {
  kind: "bundle" | "requirements";
  /** Path as given. */
  path: string;
  /** "bundle <id> seq <n>" or the requirements file name. */
  label: string;
  packages: DiffSidePackage[];
}

export interface VersionChange {
  name: string;
  from: string;
  to: string;
}

export interface BundleDiff {
  a: Omit<DiffSide, "packages"> & { packages: number };
  b: Omit<DiffSide, "packages"> & { packages: number };
  added: Array<{ name: string; version: string }>;
  removed: Array<{ name: string; version: string }>;
  upgraded: VersionChange[];
  downgraded: VersionChange[];
  rehashed: Array<{ name: string; version: string; from: string[]; to: string[] }>;
  unchanged: number;
  vulnerabilities?: {
    /** Matches in A that B no longer has. */
    fixed: GateMatch[];
    /** Matches in B that A did not have. */
    introduced: GateMatch[];
    /** Matches in both (same package, same id). */
    remaining: GateMatch[];
  };
}

const MAX_REQ_BYTES = 16 * 1024 * 1024;

/** Load one side: a directory is a bundle, a regular file a hashed requirements file. */
export function loadDiffSide(p: string): DiffSide {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    throw new ZwhError(BUNDLE.IO, `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { subject: p, cause: e });
  }
  if (st.isDirectory()) {
    const s = parseStatement(readStatementFile(p));
    const w = s.predicate;
    return {
      kind: "bundle", path: p, label: `bundle ${w.bundleId} (channel ${w.channel}, sequence ${w.sequence})`,
      packages: w.wheels.map((x) => ({ name: x.name, version: x.version, hashes: [x.sha256], filename: x.filename })),
    };
  }
  const text = readInputFile(p, {
    what: "requirements file",
    maxBytes: MAX_REQ_BYTES,
    ioError: (e) => new ZwhError(BUNDLE.IO, `cannot read ${p}: ${e.code ?? e.message}`, { subject: p, cause: e }),
  }).toString("utf8");
  const reqs = parseHashedRequirements(text, path.basename(p));
  return {
    kind: "requirements", path: p, label: path.basename(p),
    packages: reqs.pins.map((x) => ({ name: x.name, version: x.version, hashes: x.hashes })),
  };
}

function order(a: string, b: string): number {
  return isValidVersion(a) && isValidVersion(b) ? compareVersions(a, b) : a < b ? -1 : a > b ? 1 : 0;
}

/** Compare two sides (packages keyed by normalized name; a name appearing twice keeps its first pin). */
export function diffSides(a: DiffSide, b: DiffSide): BundleDiff {
  const byName = (s: DiffSide) => {
    const m = new Map<string, DiffSidePackage>();
    for (const p of s.packages) if (!m.has(p.name)) m.set(p.name, p);
    return m;
  };
  const A = byName(a);
  const B = byName(b);
  const out: BundleDiff = {
    a: { kind: a.kind, path: a.path, label: a.label, packages: A.size },
    b: { kind: b.kind, path: b.path, label: b.label, packages: B.size },
    added: [], removed: [], upgraded: [], downgraded: [], rehashed: [], unchanged: 0,
  };
  for (const [name, pa] of A) {
    const pb = B.get(name);
    if (!pb) {
      out.removed.push({ name, version: pa.version });
      continue;
    }
    const c = order(pa.version, pb.version);
    if (c < 0) out.upgraded.push({ name, from: pa.version, to: pb.version });
    else if (c > 0) out.downgraded.push({ name, from: pa.version, to: pb.version });
    else {
      // One wheel against a pin list: changed when the wheel is not pinned; otherwise sets must be equal.
      const one = (x: DiffSidePackage, y: DiffSidePackage) => x.hashes.length === 1 && y.hashes.includes(x.hashes[0]);
      const same = a.kind !== b.kind
        ? (a.kind === "bundle" ? one(pa, pb) : one(pb, pa))
        : pa.hashes.length === pb.hashes.length && pa.hashes.every((h) => pb.hashes.includes(h));
      if (same) out.unchanged++;
      else out.rehashed.push({ name, version: pb.version, from: [...pa.hashes], to: [...pb.hashes] });
    }
  }
  for (const [name, pb] of B) if (!A.has(name)) out.added.push({ name, version: pb.version });
  const byN = <T extends { name: string }>(x: T[]) => x.sort((p, q) => (p.name < q.name ? -1 : p.name > q.name ? 1 : 0));
  byN(out.added);
  byN(out.removed);
  byN(out.upgraded);
  byN(out.downgraded);
  byN(out.rehashed);
  return out;
}

/** The vulnerability delta from gate matches on each side (keyed by package and id). */
export function vulnDelta(ma: readonly GateMatch[], mb: readonly GateMatch[]): NonNullable<BundleDiff["vulnerabilities"]> {
  const key = (m: GateMatch) => `${m.package}\u0000${m.id}`;
  const ka = new Set(ma.map(key));
  const kb = new Set(mb.map(key));
  return {
    fixed: ma.filter((m) => !kb.has(key(m))),
    introduced: mb.filter((m) => !ka.has(key(m))),
    remaining: mb.filter((m) => ka.has(key(m))),
  };
}
