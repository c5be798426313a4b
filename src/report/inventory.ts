/**
 * Inventory views: what is deployed where, from which signed bundle, installed by whom; a host's
 * record; its history; exports (JSON, CSV, CycloneDX per host release). Reads the store only.
 */
import { cycloneDxJson, type SbomInput } from "../bundle/sbom";
import type { BundleStatement } from "../bundle/statement";
import { normalizeName } from "../core/names";
import type { EventRecord, InventoryStore } from "../inventory/types";

export interface InventoryRow {
  host: string;
  address: string;
  root: string;
  releaseId: string;
  bundleId: string | null;
  bundleSequence: number | null;
  bundleDigest: string | null;
  signers: string[];
  activatedAt: string | null;
  activatedBy: string | null;
  zosUser: string | null;
  runId: string | null;
  packages: Array<{ name: string; version: string; wheelSha256: string | null }>;
}

function signerNames(v: unknown): string[] {
  return Array.isArray(v) ? v.map((s) => (s && typeof s === "object" ? String((s as { name?: string; keyid?: string }).name ?? (s as { keyid?: string }).keyid ?? "") : String(s))).filter(Boolean) : [];
}

/** The activation events, newest last: who activated which release from which bundle. */
function activations(events: EventRecord[]): Map<string, Record<string, unknown>> {
  const m = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    if (e.type !== "release.activated" || !e.host) continue;
    const p = (e.payload ?? {}) as Record<string, unknown>;
    m.set(`${e.host}\u0000${String(p.root)}\u0000${String(p.release_id)}`, { ...p, ts: e.ts, runId: e.runId });
  }
  return m;
}

/** Every active release (one row per host and root), optionally for one host or one package. */
export async function inventoryList(store: InventoryStore, q: { host?: string; package?: string } = {}): Promise<InventoryRow[]> {
  const deps = await store.listDeployments({ states: ["active"], ...(q.host ? { host: q.host } : {}) });
  const acts = activations(await store.listEvents());
  const rows = new Map<string, InventoryRow>();
  for (const d of deps) {
    const key = `${d.host}\u0000${d.root}\u0000${d.releaseId}`;
    let r = rows.get(key);
    if (!r) {
      const a = acts.get(key) ?? {};
      r = {
        host: d.host, address: d.address, root: d.root, releaseId: d.releaseId,
        bundleId: (a.bundle_id as string | null) ?? null, bundleSequence: (a.bundle_sequence as number | null) ?? null,
        bundleDigest: d.bundleDigest, signers: signerNames(a.signer_identities), activatedAt: d.activatedAt,
        activatedBy: (a.actor_local as string | null) ?? null, zosUser: (a.actor_zos as string | null) ?? null,
        runId: (a.runId as string | null) ?? null, packages: [],
      };
      rows.set(key, r);
    }
    r.packages.push({ name: d.displayName, version: d.version, wheelSha256: d.wheelSha256 });
  }
  let out = [...rows.values()];
  if (q.package) {
    const n = normalizeName(q.package);
    out = out.filter((r) => r.packages.some((p) => normalizeName(p.name) === n));
  }
  return out.sort((a, b) => a.host.localeCompare(b.host) || a.root.localeCompare(b.root));
}

function cut(s: string, n: number): string {
  return s.length <= n ? s.padEnd(n) : s.slice(0, n - 1) + "…";
}

export function renderInventoryList(rows: InventoryRow[], q: { package?: string } = {}): string {
  if (rows.length === 0) return q.package ? `No host runs ${q.package}.\n` : "The inventory records no active release.\n";
  const lines = [`${cut("HOST", 16)} ${cut("ROOT", 22)} ${cut("RELEASE", 26)} ${cut("SIGNED BY", 12)} ${cut("WHEN", 20)} BY`];
  for (const r of rows) {
    const pkg = q.package ? r.packages.find((p) => normalizeName(p.name) === normalizeName(q.package!)) : undefined;
    lines.push(`${cut(r.host, 16)} ${cut(r.root, 22)} ${cut(r.releaseId + (pkg ? ` (${pkg.name} ${pkg.version})` : ""), 26)} ${cut(r.signers.join(",") || "-", 12)} ${cut((r.activatedAt ?? "-").slice(0, 19), 20)} ${r.activatedBy ?? "-"}`.trimEnd());
  }
  return lines.join("\n") + "\n";
}

/** History: the event chain for a host (or all), since an ISO time. */
export async function inventoryHistory(store: InventoryStore, q: { host?: string; since?: string } = {}): Promise<EventRecord[]> {
  const evs = await store.listEvents();
  return evs.filter((e) => (!q.host || e.host === q.host) && (!q.since || e.ts >= q.since));
}

function summary(e: EventRecord): string {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  const parts = ["release_id", "root", "bundle_id", "channel", "sequence", "actor_local", "status", "reported", "resolved"].filter((k) => p[k] !== undefined && p[k] !== null).map((k) => `${k}=${String(p[k])}`);
  return parts.join(" ");
}

export function renderHistory(evs: EventRecord[]): string {
  if (evs.length === 0) return "No events.\n";
  return evs.map((e) => `${e.ts.slice(0, 19)}  #${e.seq}  ${cut(e.host ?? "-", 16)} ${cut(e.type, 20)} ${summary(e)}`.trimEnd()).join("\n") + "\n";
}

const CSV_COLUMNS = ["host", "address", "root", "release", "bundle", "bundle_sequence", "bundle_digest", "signers", "activated_at", "activated_by", "package", "version", "wheel_sha256"];

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? "" : String(v);
  // A leading = + - @ would be a formula in a spreadsheet: neutralise it.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function inventoryCsv(rows: InventoryRow[]): string {
  const out = [CSV_COLUMNS.join(",")];
  for (const r of rows) {
    for (const p of r.packages) {
      out.push([r.host, r.address, r.root, r.releaseId, r.bundleId, r.bundleSequence, r.bundleDigest, r.signers.join(" "), r.activatedAt, r.activatedBy, p.name, p.version, p.wheelSha256].map(csvCell).join(","));
    }
  }
  return out.join("\r\n") + "\r\n";
}

/**
 * CycloneDX 1.6 for each host release (one document per release): the packages installed,
 * with the wheel filenames, hashes and Requires-Dist of the bundle's signed statement, and the
 * dependency graph under the bundle target's marker environment.
 */
export async function inventoryCycloneDx(store: InventoryStore, rows: InventoryRow[]): Promise<Array<{ host: string; root: string; releaseId: string; bom: string }>> {
  const out: Array<{ host: string; root: string; releaseId: string; bom: string }> = [];
  for (const r of rows) {
    const b = r.bundleDigest ? await store.getBundle(r.bundleDigest) : undefined;
    const st = (b?.manifest ?? null) as BundleStatement | null;
    const wheels = new Map((st?.predicate?.wheels ?? []).map((w) => [normalizeName(w.name), w]));
    const input: SbomInput = {
      subject: { type: "release", host: r.host, root: r.root, releaseId: r.releaseId, bundleDigest: r.bundleDigest },
      ...(st?.predicate?.target ? { target: { pythonVersion: st.predicate.target.pythonVersion, platform: st.predicate.target.platform, markerEnv: st.predicate.target.markerEnv } } : {}),
      packages: r.packages.map((p) => {
        const w = wheels.get(normalizeName(p.name));
        return { name: p.name, version: p.version, ...(w ? { filename: w.filename, sha256: w.sha256, requiresDist: w.requiresDist } : p.wheelSha256 ? { sha256: p.wheelSha256 } : {}) };
      }),
      signers: (Array.isArray(b?.signerIdentities) ? (b!.signerIdentities as Array<{ keyid?: string; name?: string }>) : []).filter((s) => typeof s?.keyid === "string").map((s) => ({ keyid: s.keyid!, ...(s.name ? { name: s.name } : {}) })),
      timestamp: r.activatedAt ?? new Date(0).toISOString(),
    };
    out.push({ host: r.host, root: r.root, releaseId: r.releaseId, bom: cycloneDxJson(input) });
  }
  return out;
}
