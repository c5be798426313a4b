/**
 * Small helpers shared by the unit tests: temp dirs, the ZWH error code of a throw, and a quiet
 * CommandContext for calling a command handler directly.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ZwhError } from "../../src/core/errors";
import type { CommandContext } from "../../src/cli/framework/types";

/** A fresh temp dir named `<prefix>XXXXXX`. */
export function tmpDir(prefix = "zwh-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The `code` of the ZwhError `fn` throws, or undefined when it returns normally. */
export function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as ZwhError).code;
  }
  return undefined;
}

/** A CommandContext whose output goes nowhere (progress steps still run their bodies). */
export function handlerCtx(args: Record<string, unknown>, opts: { env?: NodeJS.ProcessEnv; json?: boolean } = {}): CommandContext {
  const noop = () => {};
  return {
    args, env: opts.env ?? {}, json: opts.json ?? false, host: "zwh",
    out: { info: noop, warn: noop, progress: { step: (_t, fn) => fn({ update: noop }) } },
  };
}
