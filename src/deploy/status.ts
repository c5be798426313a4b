/** `status`: what the target holds (one observe exec), plus what the inventory recorded. */
import { describeOwner } from "../core/plan";
import { hostLabel } from "../remote/target";
import { withTarget } from "./connect";
import { observeTarget, observedNodename, type RawObservation } from "./observe";
import { prepareReadOnly } from "./read-only";
import { recordedHostStatus, resolveHostName } from "./record";
import type { CommonOptions } from "./types";

export interface StatusResult {
  formatVersion: 1;
  host: string;
  root: string;
  rootExists: boolean;
  current: { releaseId: string; bundleId?: string; channel?: string; sequence?: number; statementDigest?: string; activatedAt?: string; installed: Array<{ name: string; version: string }>; bootstrap: Array<{ name: string; version: string }> } | null;
  previous: { releaseId: string; bundleId?: string; activatedAt?: string } | null;
  releases: Array<{ releaseId: string; state: "current" | "previous" | "kept"; complete: boolean; bundleId?: string; sequence?: number; activatedAt?: string }>;
  lock: { held: boolean; stale: boolean; owner: Record<string, unknown> | null; description: string | null };
  trust: { present: boolean; sha256: string | null };
  inventory: { lastRun: unknown; releases: unknown[] } | null;
}

export function statusFrom(host: string, root: string, raw: RawObservation): StatusResult {
  const byId = new Map(raw.releases.map((r) => [r.id, r]));
  const cur = raw.current.release ? byId.get(raw.current.release) : undefined;
  const prev = raw.previous.release ? byId.get(raw.previous.release) : undefined;
  return {
    formatVersion: 1, host, root, rootExists: raw.rootExists,
    current: raw.current.release
      ? {
          releaseId: raw.current.release, bundleId: cur?.receipt?.bundleId, channel: cur?.receipt?.channel, sequence: cur?.receipt?.sequence,
          statementDigest: cur?.receipt?.statementDigest, activatedAt: cur?.receipt?.activatedAt,
          installed: (cur?.receipt?.installed ?? []).map((x) => ({ name: x.name, version: x.version })), bootstrap: cur?.receipt?.bootstrap ?? [],
        }
      : null,
    previous: raw.previous.release ? { releaseId: raw.previous.release, bundleId: prev?.receipt?.bundleId, activatedAt: prev?.receipt?.activatedAt } : null,
    releases: raw.releases
      .map((r) => ({
        releaseId: r.id,
        state: (r.id === raw.current.release ? "current" : r.id === raw.previous.release ? "previous" : "kept") as "current" | "previous" | "kept",
        complete: r.receipt?.complete === true, bundleId: r.receipt?.bundleId, sequence: r.receipt?.sequence, activatedAt: r.receipt?.activatedAt,
      }))
      .sort((a, b) => String(b.activatedAt ?? "").localeCompare(String(a.activatedAt ?? ""))),
    lock: { held: raw.lock.held, stale: raw.lock.stale, owner: raw.lock.owner, description: raw.lock.held ? describeOwner(raw.lock.owner ?? {}) : null },
    trust: { present: raw.trust.present, sha256: raw.trust.sha256 },
    inventory: null,
  };
}

export async function status(o: CommonOptions): Promise<StatusResult> {
  let host = hostLabel(o.spec);
  const r = await withTarget(o, async (ops) => {
    // Read-only: no helper or directory is created under the root (read-only.ts).
    const done = await prepareReadOnly(ops);
    try {
      const obs = await o.progress.step("Observe the target", () => observeTarget(ops, [], { readOnly: true }));
      host = await resolveHostName(o.store, o.spec, observedNodename(obs.raw));
      return statusFrom(host, ops.layout.root, obs.raw);
    } finally {
      await done();
    }
  });
  if (o.store) r.inventory = await recordedHostStatus(o.store, host, r.root);
  return r;
}
