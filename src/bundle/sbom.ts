/**
 * CycloneDX 1.6 JSON SBOMs, built with @cyclonedx/cyclonedx-library (supply-chain.md §10).
 *
 * One builder for two callers:
 *  - `bundle create` / `bundle sbom`: the wheels of a bundle (sbomInputFromStatement);
 *  - `inventory export --format cyclonedx` (drift issue): the packages of one host release.
 * Both fill an SbomInput and call buildCycloneDx() (or cycloneDxJson() for the text).
 *
 * Output: components are libraries named by normalized project name, with
 * purl `pkg:pypi/<name>@<version>?file_name=<wheel>` (also the bom-ref), the wheel's SHA-256,
 * and `wheelhouse:` properties (never `cdx:`); metadata.component is the bundle (or release)
 * as an application; dependencies[] come from Requires-Dist evaluated under the target's
 * marker environment (base dependencies; an extra's dependencies only when a package in the
 * set requests that extra), so the graph is the one pip installs on that target. The output
 * is deterministic for equal input: the serial number is derived from the content, lists are
 * sorted.
 */
import * as crypto from "node:crypto";
import * as CDX from "@cyclonedx/cyclonedx-library";
import { PackageURL } from "packageurl-js";
import { evaluateMarker, MarkerEnvironment, parseRequirement, Requirement } from "../core/pep508";
import { normalizeName } from "../core/names";
import type { BundlePredicate } from "./statement";

/** One installed or bundled distribution. */
export interface SbomPackage {
  /** Project name (any spelling; normalized in the output). */
  name: string;
  version: string;
  /** Wheel filename: becomes the purl's file_name qualifier and a property. */
  filename?: string;
  /** Lowercase hex sha256 of the wheel file. */
  sha256?: string;
  /** Requires-Dist lines (PEP 508); absent = no dependency edges from this package. */
  requiresDist?: string[];
}

/**
 * Input of buildCycloneDx(): what the SBOM describes, for which target, and the packages.
 *
 * subject.type "bundle": a signed bundle (bundleId, channel, sequence, createdAt; the statement
 *   digest when the statement exists already, i.e. not while create is writing it).
 * subject.type "release": one host release from the inventory (host, root, releaseId and the
 *   digest of the bundle it was installed from).
 * target: the PEP 508 marker environment the Requires-Dist markers are evaluated under (a
 *   bundle's predicate.target, or the host's probe facts); without it, only unconditional
 *   requirements become edges.
 * signers: key ids (and trust-file names) that signed the bundle.
 * timestamp: RFC 3339; use the bundle's createdAt / the release's activation time so that the
 *   same input always gives the same bytes.
 */
export interface SbomInput {
  subject:
    | { type: "bundle"; bundleId: string; channel: string; sequence: number; createdAt: string; statementDigest?: string }
    | { type: "release"; host: string; root: string; releaseId: string; bundleDigest?: string | null };
  target?: { pythonVersion?: string; platform?: string; markerEnv: MarkerEnvironment };
  packages: SbomPackage[];
  signers?: Array<{ keyid: string; name?: string }>;
  timestamp: string;
  /** Extra purl qualifier for a non-PyPI index (e.g. the Toolkit's repository URL without scheme). */
  repositoryUrl?: string;
}

const TOOL = "zos-wheelhouse";

export function purlFor(p: Pick<SbomPackage, "name" | "version" | "filename">, repositoryUrl?: string): string {
  const q: Record<string, string> = {};
  if (p.filename) q.file_name = p.filename;
  if (repositoryUrl) q.repository_url = repositoryUrl;
  return new PackageURL("pypi", undefined, normalizeName(p.name), p.version, Object.keys(q).length ? q : undefined, undefined).toString();
}

function serialFor(input: SbomInput): string {
  const h = crypto.createHash("sha256").update(JSON.stringify([input.subject, input.timestamp, input.packages.map((p) => [normalizeName(p.name), p.version, p.filename ?? "", p.sha256 ?? ""])])).digest();
  h[6] = (h[6] & 0x0f) | 0x50; // name-based UUID (version 5 layout), variant 10xx
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Dependency edges (normalized names) under the marker environment, extras included when requested in the set. */
export function dependencyEdges(pkgs: readonly SbomPackage[], env?: MarkerEnvironment): Map<string, Set<string>> {
  const names = new Set(pkgs.map((p) => normalizeName(p.name)));
  const parsed = new Map<string, Requirement[]>();
  for (const p of pkgs) {
    const reqs: Requirement[] = [];
    for (const text of p.requiresDist ?? []) {
      try {
        reqs.push(parseRequirement(text));
      } catch {
        /* an unparseable Requires-Dist was refused at verify; it cannot name an edge */
      }
    }
    parsed.set(normalizeName(p.name), reqs);
  }
  const applies = (r: Requirement, extra: string) => {
    if (!r.marker) return extra === "";
    if (!env) return false;
    try {
      return evaluateMarker(r.marker, { ...env, extra });
    } catch {
      return false;
    }
  };
  const edges = new Map<string, Set<string>>([...names].map((n) => [n, new Set<string>()]));
  // Extras requested on each project by packages in the set, found iteratively.
  const extras = new Map<string, Set<string>>([...names].map((n) => [n, new Set([""])]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [from, reqs] of parsed) {
      for (const extra of extras.get(from) ?? []) {
        for (const r of reqs) {
          if (!applies(r, extra) || !names.has(r.normalizedName) || r.normalizedName === from) continue;
          edges.get(from)!.add(r.normalizedName);
          const ex = extras.get(r.normalizedName)!;
          for (const e of r.extras) if (!ex.has(e)) {
            ex.add(e);
            changed = true;
          }
        }
      }
    }
  }
  return edges;
}

/** Build the CycloneDX model. */
export function buildCycloneDx(input: SbomInput): CDX.Models.Bom {
  const bom = new CDX.Models.Bom();
  bom.serialNumber = serialFor(input);
  bom.metadata.timestamp = new Date(input.timestamp);
  bom.metadata.tools.components.add(new CDX.Models.Component(CDX.Enums.ComponentType.Application, TOOL));
  const prop = (k: string, v: string | number) => new CDX.Models.Property(`wheelhouse:${k}`, String(v));
  const s = input.subject;
  const main = s.type === "bundle"
    ? new CDX.Models.Component(CDX.Enums.ComponentType.Application, s.bundleId, { version: String(s.sequence), bomRef: `wheelhouse-bundle:${s.bundleId}@${s.sequence}` })
    : new CDX.Models.Component(CDX.Enums.ComponentType.Application, `${s.host}:${s.root}`, { version: s.releaseId, bomRef: `wheelhouse-release:${s.host}:${s.root}@${s.releaseId}` });
  if (s.type === "bundle") {
    main.properties.add(prop("kind", "bundle"));
    main.properties.add(prop("bundle.id", s.bundleId));
    main.properties.add(prop("bundle.channel", s.channel));
    main.properties.add(prop("bundle.sequence", s.sequence));
    main.properties.add(prop("bundle.createdAt", s.createdAt));
    if (s.statementDigest) main.properties.add(prop("bundle.statementDigest", s.statementDigest));
  } else {
    main.properties.add(prop("kind", "release"));
    main.properties.add(prop("release.host", s.host));
    main.properties.add(prop("release.root", s.root));
    main.properties.add(prop("release.id", s.releaseId));
    if (s.bundleDigest) main.properties.add(prop("release.bundleDigest", s.bundleDigest));
  }
  if (input.target?.pythonVersion) main.properties.add(prop("target.pythonVersion", input.target.pythonVersion));
  if (input.target?.platform) main.properties.add(prop("target.platform", input.target.platform));
  for (const sg of input.signers ?? []) main.properties.add(prop("signer", sg.name ? `${sg.name} ${sg.keyid}` : sg.keyid));
  bom.metadata.component = main;

  const byName = new Map<string, CDX.Models.Component>();
  for (const p of input.packages) {
    const name = normalizeName(p.name);
    const purl = purlFor(p, input.repositoryUrl);
    const c = new CDX.Models.Component(CDX.Enums.ComponentType.Library, name, { version: p.version, bomRef: purl });
    c.purl = purl;
    if (p.sha256) c.hashes.set(CDX.Enums.HashAlgorithm["SHA-256"], p.sha256.toLowerCase());
    if (p.filename) c.properties.add(prop("wheel.filename", p.filename));
    bom.components.add(c);
    byName.set(name, c);
  }
  const edges = dependencyEdges(input.packages, input.target?.markerEnv);
  const required = new Set<string>();
  for (const [from, tos] of edges) {
    const c = byName.get(from)!;
    for (const to of tos) {
      c.dependencies.add(byName.get(to)!.bomRef);
      required.add(to);
    }
  }
  // The bundle/release depends on its roots (packages nothing else in the set requires).
  for (const [name, c] of byName) if (!required.has(name)) main.dependencies.add(c.bomRef);
  return bom;
}

/** CycloneDX 1.6 JSON text (2-space, sorted lists, trailing newline). */
export function cycloneDxJson(input: SbomInput): string {
  const ser = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  return ser.serialize(buildCycloneDx(input), { sortLists: true, space: 2 }) + "\n";
}

/** purl repository_url for an index URL: no scheme, no trailing /simple (purl-spec pypi definition). */
export function repositoryUrlOf(indexUrl: string | null | undefined): string | undefined {
  if (!indexUrl) return undefined;
  const u = indexUrl.replace(/^[a-z]+:\/\//i, "").replace(/\/+$/, "").replace(/\/simple$/, "");
  return u === "pypi.org" || u === "" ? undefined : u;
}

/** SbomInput for a bundle predicate (statement digest and signers when known). */
export function sbomInputFromPredicate(p: BundlePredicate, extra: { statementDigest?: string; signers?: SbomInput["signers"] } = {}): SbomInput {
  const repositoryUrl = repositoryUrlOf(p.source?.requirements.indexUrl);
  return {
    subject: { type: "bundle", bundleId: p.bundleId, channel: p.channel, sequence: p.sequence, createdAt: p.createdAt, ...(extra.statementDigest ? { statementDigest: extra.statementDigest } : {}) },
    target: { pythonVersion: p.target.pythonVersion, platform: p.target.platform, markerEnv: p.target.markerEnv },
    packages: p.wheels.map((w) => ({ name: w.name, version: w.version, filename: w.filename, sha256: w.sha256, requiresDist: w.requiresDist })),
    signers: extra.signers,
    timestamp: p.createdAt,
    ...(repositoryUrl ? { repositoryUrl } : {}),
  };
}
