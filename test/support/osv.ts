/**
 * OSV snapshots for tests: records in the real OSV schema (v1.7), written as a PyPI all.zip
 * (one <ID>.json per entry, deflated) with yazl, the way osv.dev publishes it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yazl from "yazl";

export type OsvJson = Record<string, unknown> & { id: string };

export async function writeOsvZip(file: string, records: OsvJson[], extra: Record<string, string | Buffer> = {}): Promise<string> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const zip = new yazl.ZipFile();
  for (const r of records) zip.addBuffer(Buffer.from(JSON.stringify(r, null, 2)), `${r.id}.json`, { mtime: new Date(Date.UTC(2026, 0, 1)) });
  for (const [name, data] of Object.entries(extra)) zip.addBuffer(Buffer.isBuffer(data) ? data : Buffer.from(data), name, { mtime: new Date(Date.UTC(2026, 0, 1)) });
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = fs.createWriteStream(file);
    zip.outputStream.pipe(out).on("close", () => resolve()).on("error", reject);
  });
  return file;
}

/** A GHSA-shaped record: CVSS vectors, GitHub's severity label, one ECOSYSTEM range. */
export function ghsa(id: string, pkg: string, events: Array<Record<string, string>>, o: { aliases?: string[]; severity?: Array<{ type: string; score: string }>; label?: string; versions?: string[]; modified?: string; withdrawn?: string; summary?: string } = {}): OsvJson {
  return {
    schema_version: "1.7.0",
    id,
    modified: o.modified ?? "2026-05-01T10:00:00Z",
    published: "2025-01-01T00:00:00Z",
    ...(o.withdrawn ? { withdrawn: o.withdrawn } : {}),
    aliases: o.aliases ?? [],
    summary: o.summary ?? `${pkg} test advisory`,
    details: "Test advisory.",
    severity: o.severity ?? [],
    affected: [{
      package: { ecosystem: "PyPI", name: pkg, purl: `pkg:pypi/${pkg.toLowerCase()}` },
      ranges: [{ type: "ECOSYSTEM", events }],
      ...(o.versions ? { versions: o.versions } : {}),
      database_specific: { source: `https://github.com/github/advisory-database/blob/main/advisories/github-reviewed/2025/01/${id}/${id}.json` },
    }],
    references: [{ type: "ADVISORY", url: `https://nvd.nist.gov/vuln/detail/${(o.aliases ?? [id])[0]}` }],
    database_specific: { cwe_ids: ["CWE-20"], github_reviewed: true, ...(o.label ? { severity: o.label } : {}) },
  };
}

/** A PYSEC-shaped record: no severity at all, ranges plus the explicit versions list. */
export function pysec(id: string, pkg: string, events: Array<Record<string, string>>, versions: string[], aliases: string[] = []): OsvJson {
  return {
    id,
    modified: "2026-04-01T00:00:00Z",
    published: "2024-01-01T00:00:00Z",
    aliases,
    details: "Test PYSEC record without a score.",
    affected: [{
      package: { ecosystem: "PyPI", name: pkg, purl: `pkg:pypi/${pkg}` },
      ranges: [{ type: "ECOSYSTEM", events }],
      versions,
    }],
    references: [{ type: "FIX", url: "https://example.invalid/fix" }],
  };
}

/** A MAL-shaped record (OpenSSF malicious-packages): every version affected, no score. */
export function mal(id: string, pkg: string): OsvJson {
  return {
    id,
    modified: "2026-03-01T00:00:00Z",
    published: "2026-03-01T00:00:00Z",
    summary: `Malicious code in ${pkg} (PyPI)`,
    details: "The package exfiltrates credentials.",
    affected: [{
      package: { ecosystem: "PyPI", name: pkg },
      ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }] }],
      database_specific: { "malicious-packages-origins": [{ source: "ossf-package-analysis", sha256: "0".repeat(64) }] },
    }],
    database_specific: { "malicious-packages-origins": [{ source: "ossf-package-analysis" }] },
  };
}

/**
 * The published OSV record shape of GHSA-cx63-2mw6-8hw5 (CVE-2024-6345, setuptools
 * package_index command injection, fixed in 70.0.0), which affects Debian's
 * /usr/share/python-wheels/setuptools-66.1.1-py3-none-any.whl.
 */
export const SETUPTOOLS_CVE_2024_6345: OsvJson = {
  id: "GHSA-cx63-2mw6-8hw5",
  summary: "setuptools vulnerable to Command Injection via package URL",
  details: "A vulnerability in the package_index module of pypa/setuptools versions up to 69.1.1 allows for remote code execution via its download functions.",
  aliases: ["CVE-2024-6345"],
  modified: "2025-03-01T05:10:33Z",
  published: "2024-07-15T00:30:51Z",
  related: ["PYSEC-2024-187"],
  database_specific: { github_reviewed_at: "2024-07-15T18:51:09Z", github_reviewed: true, severity: "HIGH", cwe_ids: ["CWE-94"], nvd_published_at: "2024-07-15T01:15:01Z" },
  references: [
    { type: "ADVISORY", url: "https://nvd.nist.gov/vuln/detail/CVE-2024-6345" },
    { type: "WEB", url: "https://github.com/pypa/setuptools/pull/4332" },
    { type: "PACKAGE", url: "https://github.com/pypa/setuptools" },
  ],
  affected: [{
    package: { name: "setuptools", ecosystem: "PyPI", purl: "pkg:pypi/setuptools" },
    ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "70.0.0" }] }],
    database_specific: { source: "https://github.com/github/advisory-database/blob/main/advisories/github-reviewed/2024/07/GHSA-cx63-2mw6-8hw5/GHSA-cx63-2mw6-8hw5.json" },
  }],
  schema_version: "1.6.0",
  severity: [{ type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" }],
};
