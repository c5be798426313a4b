/**
 * Running a command: the part shared by zwh and the Zowe plugin. Both hosts call invoke(), so
 * the JSON object (zwh --json / zowe --rfj "data") is built in exactly one place.
 */
import * as path from "path";
import { EXIT_ERROR, ZwhError, toZwhError } from "../../core/errors";
import type { CommandContext, CommandDef, HandlerModule } from "./types";
import { dataInCliWords, errorInCliWords, inCliWords } from "./cli-words";

export const FORMAT_VERSION = 1;

export function loadHandler(handler: string): HandlerModule {
  if (!/^[a-z0-9-]+(\/[a-z0-9-]+)*$/.test(handler)) {
    throw new ZwhError("ZWH-INTERNAL", `invalid handler path '${handler}'`);
  }
  // Compiled layout: lib/cli/framework/invoke.js -> lib/cli/handlers/<handler>.js
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(__dirname, "..", "handlers", handler));
  const candidate = (mod && mod.default) || mod;
  if (!candidate || typeof candidate.run !== "function") {
    throw new ZwhError("ZWH-INTERNAL", `handler '${handler}' does not export run()`);
  }
  return candidate as HandlerModule;
}

export interface InvokeOutcome {
  exitCode: number;
  data: Record<string, unknown>;
  text?: string;
  error?: ZwhError;
}

export async function invoke(cmd: CommandDef, commandPath: string[], ctx: CommandContext): Promise<InvokeOutcome> {
  const command = commandPath.join(" ");
  try {
    const handler = loadHandler(cmd.handler);
    const result = await handler.run(ctx);
    return {
      exitCode: result.exitCode,
      data: dataInCliWords({ formatVersion: FORMAT_VERSION, command, ok: result.exitCode === 0, ...result.data }, ctx.host),
      text: result.text === undefined ? undefined : inCliWords(result.text, ctx.host),
    };
  } catch (e) {
    const err = errorInCliWords(toZwhError(e), ctx.host);
    return {
      exitCode: err.exitCode || EXIT_ERROR,
      data: { formatVersion: FORMAT_VERSION, command, ok: false, error: err.toJSON() },
      error: err,
    };
  }
}
