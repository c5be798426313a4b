/**
 * The one imperative handler behind every `zowe wheelhouse` command. It finds our command in the
 * shared tree (definition.customize.zwh.path), turns imperative's merged arguments into the
 * arguments zwh would pass, runs the shared handler through invoke() (the same code path as zwh)
 * and reports through the response API only:
 *
 *   result.data / error object -> response.data.setObj   (so `--rfj` .data === `zwh --json`)
 *   exit code                  -> response.data.setExitCode (the process exit code)
 *   exit 0: result.text        -> response.console.log
 *   exit != 0                  -> an ImperativeError is thrown after setObj/setExitCode, as Zowe
 *                                 core's own commands fail: the --rfj envelope then has
 *                                 success: false, "message" and a top-level "error"
 *                                 ({msg, errorCode: ZWH-..., additionalDetails: the hint}); imperative
 *                                 prints the message once on stderr and keeps our exit code (3 for
 *                                 a refusal). Scripts can read "success", "exitCode" or "data.ok".
 */
import type { ICommandHandler, IHandlerParameters } from "@zowe/imperative";
import { EXIT_ERROR, toZwhError } from "../../core/errors";
import { FORMAT_VERSION, invoke, type InvokeOutcome } from "../framework/invoke";
import { commandTree } from "../defs/tree";
import { findCommand, type ZwhCustomize } from "./convert";
import { handlerArgsFromImperative } from "./zowe-args";
import { zoweOutput } from "./zowe-output";
import { errorInCliWords } from "../framework/cli-words";
import { checkNamedProfiles, loadedProfiles } from "./named-profiles";

export default class SharedHandler implements ICommandHandler {
  public async process(params: IHandlerParameters): Promise<void> {
    const { response } = params;
    const iargs = params.arguments as Record<string, unknown>;
    const json = iargs["response-format-json"] === true || iargs.responseFormatJson === true || iargs.rfj === true;
    const custom = (params.definition.customize as ZwhCustomize | undefined)?.zwh;
    let outcome: InvokeOutcome;
    try {
      const cmd = custom ? findCommand(commandTree(), custom.path) : undefined;
      if (!custom || !cmd) {
        throw new Error(`command '${params.definition.name}' is not in the Wheelhouse command tree`);
      }
      checkNamedProfiles(iargs, params.definition.profile?.optional ?? [], loadedProfiles());
      const args = handlerArgsFromImperative(cmd, iargs, json);
      if (cmd.connects) {
        const prof = sshProfileName(iargs, args);
        if (prof) args.sshProfileName = prof;
      }
      const out = zoweOutput(response);
      const pinWarning = fingerprintPinWarning(args.hostKey, iargs);
      if (pinWarning) out.warn(pinWarning);
      outcome = await invoke(cmd, custom.path, { args, out, json, host: "zowe", env: process.env });
    } catch (e) {
      // Failures before the handler runs (profile refused, unknown command): the same object zwh
      // prints for a failure outside a command handler.
      const err = errorInCliWords(toZwhError(e), "zowe");
      outcome = { exitCode: err.exitCode || EXIT_ERROR, data: { formatVersion: FORMAT_VERSION, ok: false, error: err.toJSON() }, error: err };
    }
    response.data.setObj(outcome.data);
    response.data.setExitCode(outcome.exitCode);
    if (outcome.exitCode === 0) {
      if (outcome.text) response.console.log("%s", outcome.text.replace(/\n$/, ""));
      return;
    }
    throw failure(outcome);
  }
}

/**
 * The ssh profile that supplied the connection: --ssh-profile, else the config's default ssh
 * profile when the host in use is that profile's host (a --host flag overrides it). It names the
 * host in the inventory and in output unless --name does.
 */
export function sshProfileName(iargs: Record<string, unknown>, args: Record<string, unknown>): string | undefined {
  const named = iargs["ssh-profile"] ?? iargs.sshProfile;
  if (typeof named === "string" && named !== "") return named;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ImperativeConfig } = require("@zowe/imperative") as typeof import("@zowe/imperative");
  const config = ImperativeConfig.instance.config;
  if (!config?.exists) return undefined;
  const def = (config.properties.defaults as Record<string, string> | undefined)?.ssh;
  if (!def) return undefined;
  const props = (config.api.profiles.get(def) ?? {}) as Record<string, unknown>;
  return props.host !== undefined && props.host === args.host ? def : undefined;
}

/**
 * Wheelhouse accepts a `SHA256:` fingerprint as hostKey, but core Zowe (`zowe uss issue ssh`)
 * compares the presented key with hostKey itself and would refuse the host: say so, and how to
 * store the form both understand.
 */
export function fingerprintPinWarning(hostKey: unknown, iargs: Record<string, unknown>): string | undefined {
  if (typeof hostKey !== "string" || !/^SHA256:/i.test(hostKey.trim())) return undefined;
  const profile = typeof iargs["ssh-profile"] === "string" ? iargs["ssh-profile"] : "NAME";
  return `warning: hostKey ${hostKey.trim()} is a SHA256 fingerprint. Wheelhouse checks it, but core Zowe ('zowe uss issue ssh') ` +
    `compares the key itself and will refuse this host. Store the base64 key instead (the second field of the host's ` +
    `/etc/ssh/ssh_host_*_key.pub line): zowe config set profiles.${profile}.properties.hostKey <base64-key>`;
}

/** The ImperativeError for a non-zero exit (see the module comment). */
export function failure(outcome: InvokeOutcome): Error {
  const err = outcome.error;
  const first = (outcome.data.error ?? undefined) as { code?: string; message?: string; hint?: string } | undefined;
  // A refusal without a thrown error (bundle verify's findings) carries its report as text.
  const msg = err ? `${err.code}: ${err.message}` : outcome.text?.replace(/\n$/, "") ?? (first?.code ? `${first.code}: ${first.message}` : `failed with exit code ${outcome.exitCode}`);
  const hint = err?.hint ?? first?.hint;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ImperativeError } = require("@zowe/imperative") as typeof import("@zowe/imperative");
  return new ImperativeError({
    msg,
    errorCode: err?.code ?? first?.code,
    ...(hint ? { additionalDetails: `What to do: ${hint}` } : {}),
  });
}
