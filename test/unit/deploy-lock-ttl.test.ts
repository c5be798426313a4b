/**
 * --lock-ttl plumbing: the option on deploy and rollback (default 900), the handlers passing it
 * to the engine, validation, and the TTL reaching the target helper's `lock acquire --ttl`.
 * (The on-target effect, owner.json ttl_seconds, is checked by test/integration/deploy-sshsig.)
 */
import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { beforeEach, describe, expect, it, vi } from "vitest";

const calls = vi.hoisted(() => ({ deploy: [] as Array<Record<string, unknown>>, rollback: [] as Array<Record<string, unknown>> }));
const STOP = "stop-after-capture";

vi.mock("../../src/deploy/deploy", async (importOriginal) => {
  const orig = await importOriginal<typeof import("../../src/deploy/deploy")>();
  return {
    ...orig,
    deploy: vi.fn(async (o: Record<string, unknown>) => {
      calls.deploy.push(o);
      throw new Error(STOP);
    }),
  };
});
vi.mock("../../src/deploy/rollback", async (importOriginal) => {
  const orig = await importOriginal<typeof import("../../src/deploy/rollback")>();
  return {
    ...orig,
    rollback: vi.fn(async (o: Record<string, unknown>) => {
      calls.rollback.push(o);
      throw new Error(STOP);
    }),
  };
});

import { commandTree } from "../../src/cli/defs/tree";
import type { CommandContext } from "../../src/cli/framework/types";
import deployHandler from "../../src/cli/handlers/deploy";
import rollbackHandler from "../../src/cli/handlers/rollback";
import { parseArgv } from "../../src/cli/zwh/argv";
import { ZwhError } from "../../src/core/errors";
import { acquireLock, checkLockTtl } from "../../src/deploy/lock";
import { DEFAULT_LOCK_TTL_S } from "../../src/deploy/types";
import type { TargetOps } from "../../src/deploy/target-ops";

const TARGET = ["--host", "lpar1", "--user", "IBMUSER", "--identity", "/dev/null", "--root", "/u/apps/wh"];

function ctxFor(argv: string[]): CommandContext {
  const p = parseArgv(commandTree(), argv);
  const noop = () => undefined;
  return {
    args: p.args,
    json: true,
    host: "zwh",
    env: { HOME: tmpdir(), ZWH_INVENTORY: join(mkdtempSync(join(tmpdir(), "zwh-ttl-")), "inv.db") },
    out: { info: noop, warn: noop, progress: { step: (_t, fn) => fn({ update: noop }) } },
  };
}

async function runUntilCapture(run: (c: CommandContext) => Promise<unknown>, argv: string[]): Promise<void> {
  await expect(run(ctxFor(argv))).rejects.toThrow(STOP);
}

beforeEach(() => {
  calls.deploy.length = 0;
  calls.rollback.length = 0;
});

describe("--lock-ttl", () => {
  it("is an option of deploy and rollback, default 900 seconds", () => {
    expect(DEFAULT_LOCK_TTL_S).toBe(900);
    expect(parseArgv(commandTree(), ["deploy", "./b", ...TARGET]).args.lockTtl).toBe(900);
    expect(parseArgv(commandTree(), ["deploy", "./b", ...TARGET, "--lock-ttl", "120"]).args.lockTtl).toBe(120);
    expect(parseArgv(commandTree(), ["rollback", ...TARGET, "--lock-ttl=45"]).args.lockTtl).toBe(45);
  });

  it("the deploy handler passes it to the engine", async () => {
    await runUntilCapture(deployHandler.run, ["deploy", "./b", ...TARGET, "--lock-ttl", "120"]);
    expect(calls.deploy[0].lockTtlSeconds).toBe(120);
    await runUntilCapture(deployHandler.run, ["deploy", "./b", ...TARGET]);
    expect(calls.deploy[1].lockTtlSeconds).toBe(900);
  });

  it("the rollback handler passes it to rollback", async () => {
    await runUntilCapture(rollbackHandler.run, ["rollback", ...TARGET, "--lock-ttl", "60"]);
    expect(calls.rollback[0].lockTtlSeconds).toBe(60);
  });

  it("accepts whole seconds >= 1 only", () => {
    expect(checkLockTtl(undefined)).toBe(900);
    expect(checkLockTtl(1)).toBe(1);
    for (const bad of [0, -5, 1.5, Number.NaN]) {
      expect(() => checkLockTtl(bad)).toThrow(ZwhError);
      try {
        checkLockTtl(bad);
      } catch (e) {
        expect((e as ZwhError).code).toBe("ZWH-ARGS-INVALID");
      }
    }
  });

  it("acquireLock sends the TTL to the target helper (lock acquire --ttl)", async () => {
    const seen: string[][] = [];
    const ops = {
      layout: { root: "/u/apps/wh", wh: "/u/apps/wh/.wheelhouse" },
      host: "lpar1:22",
      helperArgv: (_name: string, args: string[]) => ["python3", "zwh_target.py", ...args],
      batch: async (cmds: string[][]) => {
        seen.push(cmds[0].slice(2));
        return [{ code: 0, stdout: JSON.stringify({ lock_id: "L1", owner: { lock_id: "L1" } }) + "\n" }];
      },
      helperOutcome: (_n: string, _a: string[], r: { code: number; stdout: string }) => ({ code: r.code, json: JSON.parse(r.stdout), stderr: "" }),
    } as unknown as TargetOps;
    const lock = await acquireLock(ops, { operation: "deploy" }, 120);
    expect(lock.lockId).toBe("L1");
    const args = seen[0];
    expect(args.slice(0, 2)).toEqual(["lock", "acquire"]);
    expect(args[args.indexOf("--ttl") + 1]).toBe("120");
  });
});
