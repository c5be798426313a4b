/**
 * The one imperative handler behind every `zowe wheelhouse` command. It finds our command in the
 * shared tree (definition.customize.zwh.path), turns imperative's merged arguments into the
 * arguments zwh would pass, runs the shared handler through invoke() (the same code path as zwh)
 * and reports through the response API only:
 *
 *   result.data / error object -> response.data.setObj   (so `--rfj` .data === `zwh --json`)
 *   exit code                  -> response.data.setExitCode (the process exit code; the --rfj
 *                                 envelope's "success" stays true, as for `zowe zos-uss issue ssh`
 *                                 with a failing remote command: imperative sets it after process()
 *                                 returns, and throwing would print the error a second time.
 *                                 Scripts read "exitCode" or "data.ok".)
 *   result.text                -> response.console.log
 *   ZwhError                   -> response.console.error(e.format())
 */
import type { ICommandHandler, IHandlerParameters } from "@zowe/imperative";
import { EXIT_ERROR, toZwhError } from "../../core/errors";
import { FORMAT_VERSION, invoke } from "../framework/invoke";
import { commandTree } from "../defs/tree";
import { findCommand, type ZwhCustomize } from "./convert";
import { handlerArgsFromImperative } from "./zowe-args";
import { zoweOutput } from "./zowe-output";

export default class SharedHandler implements ICommandHandler {
  public async process(params: IHandlerParameters): Promise<void> {
    const { response } = params;
    const iargs = params.arguments as Record<string, unknown>;
    const json = iargs["response-format-json"] === true || iargs.responseFormatJson === true || iargs.rfj === true;
    const custom = (params.definition.customize as ZwhCustomize | undefined)?.zwh;
    try {
      const cmd = custom ? findCommand(commandTree(), custom.path) : undefined;
      if (!custom || !cmd) {
        throw new Error(`command '${params.definition.name}' is not in the Wheelhouse command tree`);
      }
      const args = handlerArgsFromImperative(cmd, iargs, json);
      const outcome = await invoke(cmd, custom.path, { args, out: zoweOutput(response), json, host: "zowe", env: process.env });
      response.data.setObj(outcome.data);
      response.data.setExitCode(outcome.exitCode);
      if (outcome.error) response.console.error("%s", outcome.error.format());
      else if (outcome.text) response.console.log("%s", outcome.text.replace(/\n$/, ""));
    } catch (e) {
      // Failures before the handler runs (profile refused, unknown command): the same object zwh
      // prints for a failure outside a command handler.
      const err = toZwhError(e);
      response.data.setObj({ formatVersion: FORMAT_VERSION, ok: false, error: err.toJSON() });
      response.data.setExitCode(err.exitCode || EXIT_ERROR);
      response.console.error("%s", err.format());
    }
  }
}
