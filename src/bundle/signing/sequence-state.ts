/**
 * Rollback and freeze protection (the TUF properties copied into the manifest, §9).
 *
 * A store remembers, per channel, the highest accepted `sequence` and the digest of the
 * statement accepted at it. Rule: lower sequence → ZWH-SIG-ROLLBACK; equal sequence is only
 * an identical re-deploy (same statement digest), otherwise ZWH-SIG-REPLAY.
 *
 * State file (FileSequenceStore, default ~/.zwh/trust-state.json, or $ZWH_TRUST_STATE):
 * { "formatVersion": 1,
 *   "channels": { "stable": { "sequence": 12, "digest": "sha256:<hex>", "acceptedAt": "<ISO>" } } }
 * The inventory store will replace this file; callers depend only on SequenceStore.
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
}

export interface SequenceStore {
  get(channel: string): AcceptedSequence | undefined;
  /** Record an accepted statement; refuses to move backwards (same rules as checkSequence). */
  accept(channel: string, sequence: number, digest: string): void;
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
 * Throw ZWH-SIG-ROLLBACK / ZWH-SIG-REPLAY if the statement must not be accepted. Returns
 * "new" (higher or first) or "same" (identical re-deploy).
 */
export function checkSequence(store: SequenceStore, channel: string, sequence: number, digest: string): "new" | "same" {
  checkArgs(channel, sequence, digest);
  const last = store.get(channel);
  if (!last || sequence > last.sequence) return "new";
  if (sequence < last.sequence) {
    throw refusal(SIG.ROLLBACK, `bundle sequence ${sequence} for channel '${channel}' is lower than the last accepted sequence ${last.sequence}`, {
      subject: channel,
      hint: "This is an older bundle (possible rollback attack). Deploy a bundle with a higher sequence, or use 'zwh rollback' to return to a recorded release.",
      details: { channel, sequence, lastSequence: last.sequence },
    });
  }
  if (last.digest !== digest) {
    throw refusal(SIG.REPLAY, `bundle sequence ${sequence} for channel '${channel}' was already accepted for a different statement`, {
      subject: channel,
      hint: "Two different bundles carry the same sequence; the publisher must issue a new bundle with a higher sequence.",
      details: { channel, sequence, acceptedDigest: last.digest, digest },
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

interface StateFile {
  formatVersion: 1;
  channels: Record<string, AcceptedSequence & { acceptedAt?: string }>;
}

/** JSON-file store; every accept re-reads the file and replaces it atomically. */
export class FileSequenceStore implements SequenceStore {
  constructor(readonly file: string = defaultSequenceStatePath()) {}

  private read(): StateFile {
    const bytes = readOptionalInput(this.file, {
      what: "rollback state",
      ioError: (e) => new ZwhError(TRUST.STATE, `cannot read rollback state ${this.file}: ${e.code ?? e.message}`, {
        subject: this.file, hint: "Check the file's permissions.", cause: e,
      }),
    });
    if (bytes === undefined) return { formatVersion: 1, channels: {} };
    const text = bytes.toString("utf8");
    const bad = (msg: string) => new ZwhError(TRUST.STATE, `rollback state ${this.file} is damaged: ${msg}`, {
      subject: this.file,
      // Deleting the file would silently disable rollback protection, so say so.
      hint: "Restore it from backup. Deleting it resets rollback protection for every channel.",
    });
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      throw bad("not valid JSON");
    }
    const o = obj as StateFile;
    if (typeof o !== "object" || o === null || o.formatVersion !== 1 || typeof o.channels !== "object" || o.channels === null) {
      throw bad("unexpected structure");
    }
    for (const [c, v] of Object.entries(o.channels)) {
      if (!Number.isSafeInteger(v?.sequence) || typeof v?.digest !== "string") throw bad(`entry for channel '${c}'`);
    }
    return o;
  }

  get(channel: string): AcceptedSequence | undefined {
    const v = this.read().channels[channel];
    return v ? { sequence: v.sequence, digest: v.digest } : undefined;
  }

  accept(channel: string, sequence: number, digest: string): void {
    checkSequence(this, channel, sequence, digest);
    const state = this.read();
    state.channels[channel] = { sequence, digest, acceptedAt: new Date().toISOString() };
    try {
      writeFileAtomic(this.file, JSON.stringify(state, null, 2) + "\n", { mode: 0o600, mkdirMode: 0o700 });
    } catch (e) {
      throw new ZwhError(TRUST.STATE, `cannot write rollback state ${this.file}: ${errnoText(e)}`, {
        subject: this.file, hint: "Check that the directory is writable.", cause: e,
      });
    }
  }
}
