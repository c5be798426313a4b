/**
 * zwh_target.py: the target's own rollback state (sequence.json, checked by lock acquire and
 * activate) and locks that mean something (activate checks the lock id under the guard; a live
 * lock is not broken without --force; a break is audited). Run locally, exactly as on the target.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const HELPER = path.resolve(__dirname, "../../src/remote/helpers/zwh_target.py");
const PY = process.env.ZWH_TEST_PYTHON ?? "python3";

function helper(args: string[]): { code: number | null; out: Record<string, any> } {
  const r = spawnSync(PY, [HELPER, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  const lines = r.stdout.split("\n").filter((l) => l.length > 0);
  expect(lines, `stdout must be one JSON line; stderr: ${r.stderr}`).toHaveLength(1);
  return { code: r.status, out: JSON.parse(lines[0]!) };
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zwh state $x;'"));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
function newRoot(trust = '{"trust":"A"}\n'): string {
  const root = path.join(tmp, `root ${++n}`);
  fs.mkdirSync(path.join(root, ".wheelhouse"), { recursive: true });
  fs.writeFileSync(path.join(root, ".wheelhouse", "trust.json"), trust);
  return root;
}

function digestOf(b: Buffer | string): string {
  return "sha256:" + createHash("sha256").update(b).digest("hex");
}

/** A release dir good enough for activate, with a statement for (channel, sequence); a complete receipt only when asked. */
function release(root: string, id: string, channel: string, sequence: number, receipt = false): string {
  const rd = path.join(root, "releases", id);
  fs.mkdirSync(path.join(rd, "venv", "bin"), { recursive: true });
  fs.writeFileSync(path.join(rd, "venv", "pyvenv.cfg"), "home = /usr/bin\n");
  fs.symlinkSync(process.execPath, path.join(rd, "venv", "bin", "python"));
  const stmt = JSON.stringify({ predicate: { channel, sequence, bundleId: id } });
  fs.writeFileSync(path.join(rd, "manifest.intoto.json"), stmt);
  if (receipt) fs.writeFileSync(path.join(rd, "receipt.json"), JSON.stringify({ complete: true, channel, sequence, statementDigest: digestOf(stmt) }));
  return digestOf(stmt);
}

const cur = (root: string) => fs.readlinkSync(path.join(root, "current"));
const audit = (root: string) => fs.readFileSync(path.join(root, ".wheelhouse", "audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));

describe("the target's accepted sequence", () => {
  it("activate records the highest sequence per (trust root, channel) and refuses an older release", () => {
    const root = newRoot();
    release(root, "r1", "stable", 1);
    const d2 = release(root, "r2", "stable", 2);
    const first = helper(["activate", "--root", root, "--release", "r1"]).out;
    expect(first.sequence, JSON.stringify(first)).toMatchObject({ status: "new", offered: 1, recorded: true });
    expect(helper(["activate", "--root", root, "--release", "r2"]).out.sequence).toMatchObject({ status: "new", offered: 2, accepted: { sequence: 1 } });
    const tid = digestOf('{"trust":"A"}\n');
    const file = JSON.parse(fs.readFileSync(path.join(root, ".wheelhouse", "sequence.json"), "utf8"));
    expect(file).toMatchObject({ formatVersion: 1, trustRoots: { [tid]: { channels: { stable: { sequence: 2, digest: d2, release: "r2" } } } } });

    const back = helper(["activate", "--root", root, "--release", "r1"]);
    expect([back.code, back.out.error.code]).toEqual([3, "ZWH-SEQ-ROLLBACK"]);
    expect(back.out.error).toMatchObject({ channel: "stable", offered: 1, accepted: 2, accepted_release: "r2", trust_root: tid });
    expect(cur(root)).toBe("releases/r2");

    // A deliberate downgrade is allowed, reported, and never lowers the bound.
    const down = helper(["activate", "--root", root, "--release", "r1", "--allow-downgrade"]);
    expect(down.out.sequence).toMatchObject({ status: "downgrade", offered: 1, accepted: { sequence: 2 }, recorded: false });
    expect(cur(root)).toBe("releases/r1");
    expect(helper(["sequence", "status", "--root", root]).out.channels.stable).toMatchObject({ sequence: 2, digest: d2 });
  });

  it("channels and trust roots are separate; a new trust root inherits the bound (rotation does not reset it)", () => {
    const root = newRoot();
    release(root, "s5", "stable", 5);
    release(root, "t1", "test", 1);
    release(root, "s3", "stable", 3);
    helper(["activate", "--root", root, "--release", "s5"]);
    expect(helper(["activate", "--root", root, "--release", "t1"]).code).toBe(0); // other channel: its own bound
    fs.writeFileSync(path.join(root, ".wheelhouse", "trust.json"), '{"trust":"A","version":2}\n');
    const st = helper(["sequence", "status", "--root", root]).out;
    expect(st.trust_root).toBe(digestOf('{"trust":"A","version":2}\n'));
    expect(st.channels.stable).toMatchObject({ sequence: 5, inherited: true });
    expect(helper(["activate", "--root", root, "--release", "s3"]).out.error.code).toBe("ZWH-SEQ-ROLLBACK");
  });

  it("a root deployed before sequence.json existed is bound by its releases' receipts", () => {
    const root = newRoot();
    release(root, "old1", "stable", 4, true);
    release(root, "old0", "stable", 2, true);
    expect(fs.existsSync(path.join(root, ".wheelhouse", "sequence.json"))).toBe(false);
    expect(helper(["sequence", "status", "--root", root]).out.channels.stable).toMatchObject({ sequence: 4, release: "old1", bootstrap: true });
    expect(helper(["activate", "--root", root, "--release", "old0"]).out.error.code).toBe("ZWH-SEQ-ROLLBACK");
    expect(fs.existsSync(path.join(root, "current"))).toBe(false);
    expect(fs.existsSync(path.join(root, ".wheelhouse", "sequence.json"))).toBe(false); // refusals write nothing
  });

  it("an equal sequence with another statement is a replay", () => {
    const root = newRoot();
    release(root, "a", "stable", 3);
    helper(["activate", "--root", root, "--release", "a"]);
    const rd = path.join(root, "releases", "b");
    release(root, "b", "stable", 3);
    fs.writeFileSync(path.join(rd, "manifest.intoto.json"), JSON.stringify({ predicate: { channel: "stable", sequence: 3, bundleId: "other" } }));
    expect(helper(["activate", "--root", root, "--release", "b"]).out.error.code).toBe("ZWH-SEQ-REPLAY");
  });

  it("a damaged state file fails closed", () => {
    const root = newRoot();
    release(root, "a", "stable", 1);
    fs.writeFileSync(path.join(root, ".wheelhouse", "sequence.json"), "{not json");
    const r = helper(["activate", "--root", root, "--release", "a"]);
    expect([r.code, r.out.error.code]).toEqual([1, "ZWH-SEQ-STATE"]);
    expect(fs.existsSync(path.join(root, "current"))).toBe(false);
  });

  it("lock acquire checks an offered statement under the lock and leaves nothing behind when it refuses", () => {
    const root = newRoot();
    release(root, "r4", "stable", 4);
    helper(["activate", "--root", root, "--release", "r4"]);
    const offer = (seq: number, digest: string, extra: string[] = []) =>
      helper(["lock", "acquire", "--root", root, "--owner-json", "{}", "--offer-channel", "stable", "--offer-sequence", String(seq), "--offer-digest", digest, ...extra]);
    const r = offer(3, digestOf("x"));
    expect([r.code, r.out.error.code, r.out.error.offered, r.out.error.accepted]).toEqual([3, "ZWH-SEQ-ROLLBACK", 3, 4]);
    expect(fs.existsSync(path.join(root, ".wheelhouse", "lock"))).toBe(false);
    const ok = offer(3, digestOf("x"), ["--allow-downgrade"]);
    expect(ok.out).toMatchObject({ acquired: true, sequence: { status: "downgrade", offered: 3 } });
    helper(["lock", "release", "--root", root, "--lock-id", ok.out.lock_id]);
    expect(offer(5, digestOf("y")).out.sequence).toMatchObject({ status: "new", accepted: { sequence: 4 } });
  });
});

describe("locks that mean something", () => {
  const owner = JSON.stringify({ run_id: "run-1", user: "alice", controller_host: "ws-a", controller_pid: 4242 });

  it("activate refuses when its lock was broken or replaced, and current stays", () => {
    const root = newRoot();
    release(root, "r1", "stable", 1);
    release(root, "r2", "stable", 2);
    helper(["activate", "--root", root, "--release", "r1"]);
    const mine = helper(["lock", "acquire", "--root", root, "--owner-json", owner]).out.lock_id as string;
    expect(helper(["lock", "break", "--root", root, "--force"]).out.broken).toBe(true);
    let r = helper(["activate", "--root", root, "--release", "r2", "--lock-id", mine]);
    expect([r.code, r.out.error.code]).toEqual([3, "ZWH-LOCK-LOST"]);
    const other = helper(["lock", "acquire", "--root", root, "--owner-json", "{}"]).out.lock_id as string;
    r = helper(["activate", "--root", root, "--release", "r2", "--lock-id", mine]);
    expect([r.code, r.out.error.code, r.out.error.owner.lock_id]).toEqual([3, "ZWH-LOCK-LOST", other]);
    // Without a lock id, anyone's lock blocks an activation.
    expect(helper(["activate", "--root", root, "--release", "r2"]).out.error.code).toBe("ZWH-LOCK-HELD");
    expect(cur(root)).toBe("releases/r1");
    expect(helper(["activate", "--root", root, "--release", "r2", "--lock-id", other]).out.current).toBe("releases/r2");
  });

  it("break refuses a live lock unless --force or --owner-gone, and audits who broke it", () => {
    const root = newRoot();
    const id = helper(["lock", "acquire", "--root", root, "--owner-json", owner, "--ttl", "600"]).out.lock_id as string;
    const live = helper(["lock", "break", "--root", root, "--lock-id", id]);
    expect([live.code, live.out.error.code, live.out.reason, live.out.owner.lock_id]).toEqual([3, "ZWH-LOCK-LIVE", "live", id]);
    expect(helper(["lock", "status", "--root", root]).out.held).toBe(true);
    const by = { user: "bob", controller_host: "ws-b", zos_user: "IBMUSER" };
    const br = helper(["lock", "break", "--root", root, "--lock-id", id, "--force", "--by-json", JSON.stringify(by)]);
    expect(br.out).toMatchObject({ broken: true, forced: true, owner: { lock_id: id, user: "alice" } });
    expect(audit(root).at(-1)).toMatchObject({ event: "lock-break", forced: true, by, broken_owner: { lock_id: id, controller_pid: 4242 } });
    // The heartbeat of the run whose lock was broken finds out.
    expect(helper(["lock", "heartbeat", "--root", root, "--lock-id", id]).out).toMatchObject({ lost: true, error: { code: "ZWH-LOCK-LOST" } });

    const id2 = helper(["lock", "acquire", "--root", root, "--owner-json", owner]).out.lock_id as string;
    expect(helper(["lock", "break", "--root", root, "--lock-id", id2, "--owner-gone"]).out).toMatchObject({ broken: true, forced: false });
    expect(audit(root).at(-1)).toMatchObject({ event: "lock-break", owner_gone: true, forced: false });
  });
});
