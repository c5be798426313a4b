/** zwh: the standalone CLI. Same command tree and handlers as the Zowe plugin. */
import { EXIT_ERROR, toZwhError } from "../../core/errors";
import { invoke } from "../framework/invoke";
import type { CommandDef } from "../framework/types";
import { commandTree } from "../defs/tree";
import { checkRequired, parseArgv } from "./argv";
import { renderHelp } from "./help";
import { zwhOutput } from "./output";
import { applyProfiles } from "./profiles";

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../../../package.json") as { version: string }).version;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const json = argv.includes("--json");
  const tree = commandTree();
  let parsed;
  try {
    parsed = parseArgv(tree, argv);
  } catch (e) {
    return reportFailure(e, json);
  }
  if (parsed.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (parsed.help || parsed.node.type === "group") {
    process.stdout.write(renderHelp(parsed.node, parsed.path));
    return parsed.help ? 0 : EXIT_ERROR;
  }
  const cmd = parsed.node as CommandDef;
  let args = parsed.args;
  try {
    args = await applyProfiles(cmd, args, env, parsed.explicit);
    checkRequired(cmd, args);
  } catch (e) {
    return reportFailure(e, json);
  }
  const out = zwhOutput({ json, env });
  const outcome = await invoke(cmd, parsed.path, { args, out, json, host: "zwh", env });
  if (json) {
    process.stdout.write(JSON.stringify(outcome.data, null, 2) + "\n");
  } else if (outcome.error) {
    process.stderr.write(outcome.error.format() + "\n");
  } else if (outcome.text) {
    process.stdout.write(outcome.text.endsWith("\n") ? outcome.text : outcome.text + "\n");
  }
  return outcome.exitCode;
}

function reportFailure(e: unknown, json: boolean): number {
  const err = toZwhError(e);
  if (json) {
    process.stdout.write(JSON.stringify({ formatVersion: 1, ok: false, error: err.toJSON() }, null, 2) + "\n");
  } else {
    process.stderr.write(err.format() + "\n");
  }
  return err.exitCode || EXIT_ERROR;
}
