/**
 * Rollback protection in deploy: the TARGET's record wins, the workstation's file is a cache.
 *
 * - observe reports the target's bounds (zwh_target.py sequence_summary: per channel, under the
 *   installed trust root); `refreshCache` raises the workstation cache with them, so a later
 *   `bundle verify` on this workstation agrees with the target;
 * - local verification uses `deployView`: the higher of the target's bound and the cache's;
 * - the target checks again under the lock (lock acquire --offer-*) and at activation (the
 *   release's own statement), which is what a workstation with stale or fresh state cannot skip;
 * - `targetRefusal` turns the helper's ZWH-SEQ-* refusal into a message naming host, root, channel,
 *   accepted and offered sequence, and what to do.
 */
import { refusal, type ZwhError } from "../core/errors";
import type { AcceptedSequence, FileSequenceStore, SequenceStore } from "../bundle/signing/sequence-state";

/** The target helper's rollback-protection refusals (zwh_target.py check_offer / read_sequence_state). */
const SEQUENCE_CODES = new Set(["ZWH-SEQ-ROLLBACK", "ZWH-SEQ-REPLAY", "ZWH-SEQ-STATE"]);

export function isSequenceRefusal(code: unknown): boolean {
  return typeof code === "string" && SEQUENCE_CODES.has(code);
}

export interface TargetBound {
  sequence: number;
  digest: string;
  release?: string;
  trust_root?: string;
  inherited?: boolean;
  bootstrap?: boolean;
}

export interface TargetSequences {
  trust_root: string | null;
  channels: Record<string, TargetBound | null>;
  error?: { code: string; message: string };
}

export function targetLabel(host: string, root: string): string {
  return `${host} ${root} (the target's record)`;
}

/** The target's bounds from an observation; refuses (fail closed) when the target's file is damaged. */
export function targetSequences(raw: { sequences?: TargetSequences }, host: string, root: string): TargetSequences {
  const s = raw.sequences ?? { trust_root: null, channels: {} };
  if (s.error) {
    throw refusal(s.error.code || "ZWH-SEQ-STATE", `${host}: the rollback state under ${root}/.wheelhouse is unusable: ${s.error.message}`, {
      subject: `${root}/.wheelhouse/sequence.json`,
      hint: "Nothing was changed. Restore the file from a backup of the install root; deleting it makes the target fall back to its releases' receipts.",
    });
  }
  return s;
}

/** Raise the workstation cache with the target's bounds (keyed by the target's trust root). */
export function refreshCache(cache: FileSequenceStore | undefined, host: string, root: string, t: TargetSequences): void {
  if (!cache || !t.trust_root) return;
  for (const [channel, b] of Object.entries(t.channels)) {
    if (b) cache.refresh(t.trust_root, channel, { sequence: b.sequence, digest: b.digest, source: targetLabel(host, root) });
  }
}

/** What local verification checks in deploy: the higher of the target's bound and the cache's. */
export function deployView(host: string, root: string, t: TargetSequences, cache: SequenceStore | undefined): SequenceStore {
  return {
    get(channel: string): AcceptedSequence | undefined {
      const b = t.channels[channel];
      const target = b ? { sequence: b.sequence, digest: b.digest, source: targetLabel(host, root) } : undefined;
      const cached = cache?.get(channel);
      if (!cached) return target;
      if (!target) return { ...cached, source: cached.source ? `this workstation's cache (from ${cached.source})` : "this workstation's cache" };
      return cached.sequence > target.sequence ? { ...cached, source: `this workstation's cache (from ${cached.source ?? "an earlier run"})` } : target;
    },
    accept() {
      /* deploy records through the target (activate) and refreshCache */
    },
  };
}

/** The offered statement's relation to the bound the deploy saw: a downgrade is recorded. */
export function isDowngrade(t: TargetSequences, cache: SequenceStore | undefined, channel: string, sequence: number, digest: string): { downgrade: boolean; accepted: number | null } {
  const b = t.channels[channel];
  const c = cache?.get(channel);
  const accepted = Math.max(b?.sequence ?? -1, c?.sequence ?? -1);
  if (accepted < 0) return { downgrade: false, accepted: null };
  const same = (b && b.sequence === sequence && b.digest === digest) || (!b && c && c.sequence === sequence && c.digest === digest);
  return { downgrade: sequence < accepted || (sequence === accepted && !same), accepted };
}

/** A helper refusal (lock acquire --offer-*, activate) as the user sees it. */
export function targetRefusal(host: string, root: string, err: Record<string, unknown>, command: string): ZwhError {
  const code = String(err.code);
  const channel = String(err.channel ?? "?");
  const offered = err.offered;
  const accepted = err.accepted;
  const what = code === "ZWH-SEQ-REPLAY"
    ? `sequence ${String(offered)} of channel '${channel}' was already accepted for a different statement`
    : `bundle sequence ${String(offered)} of channel '${channel}' is lower than sequence ${String(accepted)} it accepted` + (err.accepted_release ? ` (release ${String(err.accepted_release)})` : "");
  return refusal(code, `${host} refused: ${what}; ${root} was not changed`, {
    subject: root,
    details: { host, root, channel, offered, accepted, acceptedDigest: err.accepted_digest, acceptedRelease: err.accepted_release, trustRoot: err.trust_root, target: err },
    hint: code === "ZWH-SEQ-REPLAY"
      ? "Two different bundles carry the same sequence; the publisher must issue a new bundle with a higher sequence."
      : `The target keeps the highest sequence it accepted per trust root and channel, whatever a workstation remembers. Deploy a bundle with a higher sequence; ` +
        `use '${command} rollback' to return to a release still on the target; or, if this downgrade is deliberate, re-run with --allow-downgrade (recorded on the target and in the inventory).`,
  });
}
