/**
 * inventory sync: rebuild one host's records from what the host itself holds (the LPAR holds its
 * own truth). One connection: one observe exec (links, releases and their receipts), then one
 * read of each release's signed statement. Every statement is recorded only when its bytes hash
 * to the digest the receipt names; releases are recorded with their installed packages, and the
 * release `current` points at becomes the active one. Nothing on the target changes.
 */
import { createHash } from "crypto";
import type { BundleStatement } from "../bundle/statement";
import { toZwhError, ZwhError } from "../core/errors";
import type { Progress } from "../core/progress";
import type { InventoryStore } from "../inventory/types";
import { DEFAULT_PYTHON, connectTitle, hostLabel, type TargetSpec } from "../remote/target";
import { openTransport } from "./connect";
import { checkRoot, layoutFor, releaseDir } from "./layout";
import { observeTarget, type ObservedReceipt } from "./observe";
import { prepareReadOnly } from "./read-only";
import { RunRecorder } from "./record";
import { TargetOps } from "./target-ops";

export interface SyncOptions {
  spec: TargetSpec;
  root: string;
  /** Logical host name (profile name, --name, or the address). */
  name?: string;
  store: InventoryStore;
  progress: Progress;
  env?: NodeJS.ProcessEnv;
  argv?: string[];
}

export interface SyncedRelease {
  releaseId: string;
  bundleId?: string;
  statementDigest?: string;
  state: "active" | "previous" | "staged" | "skipped";
  packages: number;
  reason?: string;
}

export interface SyncResult {
  formatVersion: 1;
  runId: string;
  host: string;
  root: string;
  current: string | null;
  releases: SyncedRelease[];
}

function digestOf(b: Buffer): string {
  return "sha256:" + createHash("sha256").update(b).digest("hex");
}

export async function syncHost(o: SyncOptions): Promise<SyncResult> {
  const root = checkRoot(o.root);
  const store = o.store;
  const run = await RunRecorder.start(store, "inventory-sync", o.argv);
  const runId = run.runId;
  let host = o.name ?? o.spec.name ?? hostLabel(o.spec);
  try {
    const t = await o.progress.step(connectTitle(o.spec, o.name ?? o.spec.name), () => openTransport(o.spec, o.env));
    const out: SyncedRelease[] = [];
    let current: string | null = null;
    try {
      const ops = new TargetOps(t, layoutFor(root), o.spec.pythonPath ?? DEFAULT_PYTHON);
      // Read-only: nothing is written under the root (a missing root is ZWH-ROOT-NOT-FOUND).
      const done = await prepareReadOnly(ops);
      const obs = await o.progress.step("Read the releases and their receipts", () => observeTarget(ops, [], { readOnly: true })).finally(done);
      current = obs.raw.current.release;
      // The facts the last deploy cached on the target (no probe: sync changes nothing there).
      const probe = obs.raw.envCache?.probe;
      if (!o.name && !o.spec.name) host = await run.hostName(o.spec, probe?.uname?.nodename ?? null);
      if (probe) await run.hostFacts(host, o.spec, probe);
      else await run.ensureHost(host, o.spec);
      // Oldest first, so activation order ends with previous, then current.
      const rels = [...obs.raw.releases].sort((a, b) => (a.id === current ? 1 : b.id === current ? -1 : a.id === obs.raw.previous.release ? 1 : b.id === obs.raw.previous.release ? -1 : 0));
      for (const r of rels) {
        const rc = r.receipt as (ObservedReceipt & { signers?: unknown[] }) | null;
        if (!rc || rc.complete !== true || !rc.statementDigest || !rc.bundleId) {
          out.push({ releaseId: r.id, state: "skipped", packages: 0, reason: "no complete receipt (an unfinished or foreign release)" });
          continue;
        }
        const rdir = releaseDir(ops.layout, r.id);
        const bytes = await t.readFile(`${rdir}/manifest.intoto.json`).catch(() => undefined);
        if (!bytes || digestOf(bytes) !== rc.statementDigest) {
          out.push({ releaseId: r.id, bundleId: rc.bundleId, state: "skipped", packages: 0, reason: bytes ? "the statement does not hash to the receipt's digest" : "the release has no signed statement" });
          continue;
        }
        const st = JSON.parse(bytes.toString("utf8")) as BundleStatement;
        const p = st.predicate;
        await store.recordBundle({
          bundleId: p.bundleId, channel: p.channel, sequence: p.sequence, digestSha256: rc.statementDigest, manifest: st, manifestBytes: bytes,
          signerIdentities: Array.isArray(rc.signers) ? rc.signers : [],
          wheels: p.wheels.map((w) => ({ filename: w.filename, name: w.name, version: w.version, sha256: w.sha256, size: w.size })),
        });
        const existing = (await store.hostStatus(host, root)).releases.find((x) => x.releaseId === r.id);
        if (!existing) {
          const rowId = await store.recordRelease({ host, root, releaseId: r.id, path: rdir, bundleDigest: rc.statementDigest, runId });
          const bySha = new Map(p.wheels.map((w) => [w.name, w.sha256]));
          await store.recordInstalled(rowId, (rc.installed ?? []).map((x) => ({ name: x.name, version: x.version, ...(bySha.get(x.name.toLowerCase().replace(/[-_.]+/g, "-")) ? { wheelSha256: bySha.get(x.name.toLowerCase().replace(/[-_.]+/g, "-")) } : {}) })));
        }
        const state = r.id === current ? "active" : r.id === obs.raw.previous.release ? "previous" : "staged";
        if (state !== "staged") await store.setActiveRelease(host, root, r.id, runId);
        out.push({ releaseId: r.id, bundleId: rc.bundleId, statementDigest: rc.statementDigest, state, packages: (rc.installed ?? []).length });
      }
    } finally {
      await t.close().catch(() => undefined);
    }
    await run.hostResult(host, o.spec, { status: "ok", root, ...(current ? { releaseId: current } : {}) });
    await run.finish({ status: "ok", exitCode: 0 });
    return { formatVersion: 1, runId, host, root, current, releases: out };
  } catch (e) {
    const err = toZwhError(e);
    await run.finishFailed(err).catch(() => undefined);
    throw err;
  }
}
