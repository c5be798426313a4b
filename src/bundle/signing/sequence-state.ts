/**
 * Rollback and freeze protection (the TUF properties copied into the manifest, §9).
 *
 * One state model, keyed by (trust root, channel): the highest accepted `sequence` and the digest
 * of the statement accepted at it. Rule: lower sequence → ZWH-SEQ-ROLLBACK; equal sequence is only
 * an identical re-deploy (same statement digest), otherwise ZWH-SEQ-REPLAY.
 *
 * The trust root is `trustRootId(bytes)`: "sha256:<hex>" of the trust file's exact bytes, the
 * same bytes `zwh target trust` installs as <root>/.wheelhouse/trust.json (so the workstation
 * and the target name it alike; `zwh status` shows it as trust.sha256).
 *
 * The TARGET is the authority (zwh_target.py keeps <root>/.wheelhouse/sequence.json and checks
 * it before anything changes). This file is the workstation's CACHE of it: `bundle verify`
 * reads it, `deploy` raises it from what the target reports and from what it accepted.
 * (FileSequenceStore, default ~/.zwh/trust-state.json, or $ZWH_TRUST_STATE / --state):
 * { "formatVersion": 2,
 *   "trustRoots": { "sha256:<hex>": { "channels": {
 *       "stable": { "sequence": 12, "digest": "sha256:<hex>", "acceptedAt": "<ISO>", "source": "lpar1 /u/wh" } } } },
 *   "legacy": { "channels": { ... } } }        // formatVersion 1 entries, see below
 * Migration: a formatVersion 1 file (one number per channel NAME, shared by every trust file)
 * is read as `legacy`: a legacy entry still binds a (trust root, channel) that has no entry of
 * its own, so upgrading never weakens protection; the first own entry replaces it for that key.
 */
import * as crypto from "node:crypto";
import * as os from "node:os";
import * as path from "node:path";
import { ZwhError, refusal } from "../../core/errors";
import { errnoText, writeFileAtomic } from "../../io/atomic-write";
import { SIG, TRUST } from "./codes";
import { readOptionalInput } from "../../io/input-file";

export interface AcceptedSequence {
  sequence: number;
  /** "sha256:<hex>" of the exact statement bytes. */
  digest: string;
  /** Who accepted it, for messages: e.g. "lpar1 /u/wh (the target's record)". */
  source?: string;
}

export interface SequenceStore {
  get(channel: string): AcceptedSequence | undefined;
  /** Record an accepted statement; refuses to move backwards (same rules as checkSequence). */
  accept(channel: string, sequence: number, digest: string): void;
}

/** The trust root a rollback bound belongs to: "sha256:" + hex of the trust file's exact bytes. */
export function trustRootId(trustFileBytes: Buffer): string {
  return "sha256:" + crypto.createHash("sha256").update(trustFileBytes).digest("hex");
}

/** "sha256:" + hex over the exact statement bytes. */
export function statementDigest(statementBytes: Buffer): string {
  return "sha256:" + crypto.createHash("sha256").update(statementBytes).digest("hex");
}

function checkArgs(channel: string, sequence: number, digest: string): void {
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw refusal(SIG.INVALID, `statement sequence ${JSON.stringify(sequence)} is not a non-negative integer`, {
      subject: channel,
      hint: "The manifest's predicate.sequence must be an integer; rebuild the bundle.",
    });
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new ZwhError("ZWH-INTERNAL", `statement digest '${digest}' is not sha256:<hex>`);
  }
}

/**
 * Throw ZWH-SEQ-ROLLBACK / ZWH-SEQ-REPLAY if the statement must not be accepted. Returns
 * "new" (higher or first) or "same" (identical re-deploy).
 */
export function checkSequence(store: SequenceStore, channel: string, sequence: number, digest: string): "new" | "same" {
  checkArgs(channel, sequence, digest);
  const last = store.get(channel);
  if (!last || sequence > last.sequence) return "new";
  const where = last.source ? ` by ${last.source}` : "";
  if (sequence < last.sequence) {
    throw refusal(SIG.ROLLBACK, `bundle sequence ${sequence} for channel '${channel}' is lower than sequence ${last.sequence} accepted${where}`, {
      subject: channel,
      hint: "This is an older bundle (possible rollback attack). Deploy a bundle with a higher sequence; use 'zwh rollback' to return to a release still on the target; " +
        "or, if installing this older bundle is deliberate, 'zwh deploy --allow-downgrade' (recorded on the target and in the inventory).",
      details: { channel, sequence, offered: sequence, accepted: last.sequence, lastSequence: last.sequence, acceptedDigest: last.digest, acceptedBy: last.source ?? null },
    });
  }
  if (last.digest !== digest) {
    throw refusal(SIG.REPLAY, `bundle sequence ${sequence} for channel '${channel}' was already accepted${where} for a different statement`, {
      subject: channel,
      hint: "Two different bundles carry the same sequence; the publisher must issue a new bundle with a higher sequence.",
      details: { channel, sequence, acceptedDigest: last.digest, digest, acceptedBy: last.source ?? null },
    });
  }
  return "same";
}

/**
 * Freeze protection: refuse a statement whose `expires` (RFC 3339) is not in the future.
 * A missing or unparsable date is refused too: fail closed.
 */
export function checkExpiry(expires: unknown, now: Date = new Date(), subject = "manifest.intoto.json"): Date {
  const t = typeof expires === "string" && /^\d{4}-\d{2}-\d{2}T/.test(expires) ? new Date(expires) : undefined;
  if (!t || Number.isNaN(t.getTime())) {
    throw refusal(SIG.EXPIRED, `statement expiry ${JSON.stringify(expires)} is missing or not an RFC 3339 date`, {
      subject,
      hint: "The manifest's predicate.expires must be a date such as 2026-06-30T00:00:00Z; rebuild the bundle.",
    });
  }
  if (t.getTime() <= now.getTime()) {
    throw refusal(SIG.EXPIRED, `bundle expired at ${t.toISOString()}`, {
      subject,
      hint: "Expired bundles are refused so that a stale bundle cannot be replayed; ask the publisher for a fresh one.",
      details: { expires: t.toISOString(), now: now.toISOString() },
    });
  }
  return t;
}

export class MemorySequenceStore implements SequenceStore {
  protected state = new Map<string, AcceptedSequence>();

  get(channel: string): AcceptedSequence | undefined {
    const v = this.state.get(channel);
    return v ? { ...v } : undefined;
  }

  accept(channel: string, sequence: number, digest: string): void {
    checkSequence(this, channel, sequence, digest);
    this.state.set(channel, { sequence, digest });
  }
}

export function defaultSequenceStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZWH_TRUST_STATE ?? path.join(env.HOME ?? os.homedir(), ".zwh", "trust-state.json");
}

type Entry = AcceptedSequence & { acceptedAt?: string };
interface StateFile {
  formatVersion: 2;
  trustRoots: Record<string, { channels: Record<string, Entry> }>;
  legacy?: { channels: Record<string, Entry> };
}

/**
 * The workstation's cache, one JSON file keyed by (trust root, channel). Every write re-reads
 * the file and replaces it atomically; a damaged file fails closed (ZWH-TRUST-STATE).
 */
export class FileSequenceStore {
  constructor(readonly file: string = defaultSequenceStatePath()) {}

  private read(): StateFile {
    const bytes = readOptionalInput(this.file, {
      what: "rollback state",
      ioError: (e) => new ZwhError(TRUST.STATE, `cannot read rollback state ${this.file}: ${e.code ?? e.message}`, {
        subject: this.file, hint: "Check the file's permissions.", cause: e,
      }),
    });
    if (bytes === undefined) return { formatVersion: 2, trustRoots: {} };
    const text = bytes.toString("utf8");
    const bad = (msg: string) => new ZwhError(TRUST.STATE, `rollback state ${this.file} is damaged: ${msg}`, {
      subject: this.file,
      // Deleting the file would silently drop the cache, so say what that means.
      hint: "Restore it from backup. Deleting it drops this workstation's cache: targets still refuse older bundles, but 'bundle verify' no longer can until the next deploy.",
    });
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      throw bad("not valid JSON");
    }
    const o = obj as Record<string, unknown>;
    if (typeof o !== "object" || o === null) throw bad("unexpected structure");
    const entries = (m: unknown, what: string): Record<string, Entry> => {
      if (typeof m !== "object" || m === null) throw bad(`${what} is not an object`);
      for (const [c, v] of Object.entries(m as Record<string, Entry>)) {
        if (!Number.isSafeInteger(v?.sequence) || typeof v?.digest !== "string") throw bad(`entry for channel '${c}' of ${what}`);
      }
      return m as Record<string, Entry>;
    };
    if (o.formatVersion === 1) return { formatVersion: 2, trustRoots: {}, legacy: { channels: entries(o.channels, "the formatVersion 1 channels") } };
    if (o.formatVersion !== 2 || typeof o.trustRoots !== "object" || o.trustRoots === null) throw bad("unexpected structure");
    const roots = o.trustRoots as Record<string, { channels: unknown }>;
    for (const [t, v] of Object.entries(roots)) entries(v?.channels, `trust root ${t}`);
    const legacy = o.legacy === undefined ? undefined : { channels: entries((o.legacy as { channels?: unknown } | null)?.channels, "legacy") };
    return { formatVersion: 2, trustRoots: roots as StateFile["trustRoots"], ...(legacy ? { legacy } : {}) };
  }

  private write(state: StateFile): void {
    try {
      writeFileAtomic(this.file, JSON.stringify(state, null, 2) + "\n", { mode: 0o600, mkdirMode: 0o700 });
    } catch (e) {
      throw new ZwhError(TRUST.STATE, `cannot write rollback state ${this.file}: ${errnoText(e)}`, {
        subject: this.file, hint: "Check that the directory is writable.", cause: e,
      });
    }
  }

  /** The bound for (trust root, channel): its own entry, else a migrated legacy one. */
  get(trustRoot: string, channel: string): AcceptedSequence | undefined {
    const s = this.read();
    const v = s.trustRoots[trustRoot]?.channels[channel] ?? s.legacy?.channels[channel];
    return v ? { sequence: v.sequence, digest: v.digest, ...(v.source ? { source: v.source } : {}) } : undefined;
  }

  /** Record an accepted statement; refuses to move backwards (checkSequence). */
  accept(trustRoot: string, channel: string, sequence: number, digest: string, source?: string): void {
    checkSequence(this.forTrustRoot(trustRoot), channel, sequence, digest);
    this.set(trustRoot, channel, { sequence, digest, source });
  }

  /**
   * Take a bound the target reports (the authority): stored when higher than the cached one, or
   * equal with another digest (the target's word wins). Never lowers. Returns whether it changed.
   */
  refresh(trustRoot: string, channel: string, e: AcceptedSequence): boolean {
    const s = this.read();
    const own = s.trustRoots[trustRoot]?.channels[channel];
    if (own && (e.sequence < own.sequence || (e.sequence === own.sequence && e.digest === own.digest))) return false;
    this.set(trustRoot, channel, e, s);
    return true;
  }

  private set(trustRoot: string, channel: string, e: AcceptedSequence, state = this.read()): void {
    const root = (state.trustRoots[trustRoot] ??= { channels: {} });
    root.channels[channel] = { sequence: e.sequence, digest: e.digest, acceptedAt: new Date().toISOString(), ...(e.source ? { source: e.source } : {}) };
    this.write(state);
  }

  /** The per-channel view of one trust root that verification takes. */
  forTrustRoot(trustRoot: string): SequenceStore {
    return {
      get: (channel) => this.get(trustRoot, channel),
      accept: (channel, sequence, digest) => this.accept(trustRoot, channel, sequence, digest),
    };
  }
}
