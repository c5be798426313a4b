/** zwh trust add-key: add a signer's public key to the trust file. */
import { ZwhError } from "../../../core/errors";
import { KEY } from "../../../bundle/signing/codes";
import { isOpenSshPublicKeyLine } from "../../../bundle/signing/keys";
import { addTrustKey, loadTrust, parseTrust, saveTrust } from "../../../bundle/signing/trust";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { listArg, renderTrust, trustPathArg, trustSummary } from "./common";
import { INPUT_LIMITS, readInputText } from "../../../io/input-file";

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const file = trustPathArg(ctx, "trust");
  const keyArg = ctx.args.key;
  const name = ctx.args.name;
  if (typeof keyArg !== "string" || keyArg.trim() === "") {
    throw new ZwhError(KEY.USAGE, "--key is required", { hint: "Pass a public key file (PREFIX.pub or an OpenSSH .pub) or an OpenSSH public key line." });
  }
  if (typeof name !== "string" || name.trim() === "") {
    throw new ZwhError(KEY.USAGE, "--name is required", { hint: "Give the signer a unique name, e.g. --name release-bot." });
  }
  let keyText: string;
  if (isOpenSshPublicKeyLine(keyArg)) keyText = keyArg;
  else {
    keyText = readInputText(keyArg, {
      what: "public key file",
      maxBytes: INPUT_LIMITS.small,
      ioError: (e) => new ZwhError(KEY.READ, `cannot read public key file ${keyArg}: ${e.code ?? e.message}`, {
        subject: keyArg, hint: "Pass the path of a .pub file, or an OpenSSH public key line in quotes.", cause: e,
      }),
    });
  }
  const trust = loadTrust(file);
  const { doc, key } = addTrustKey(trust.doc, { publicKey: keyText, name: name.trim(), channels: listArg(ctx.args.channel), subject: isOpenSshPublicKeyLine(keyArg) ? "--key" : keyArg }, file);
  saveTrust(file, doc);
  const updated = parseTrust(doc, file);
  return {
    exitCode: 0,
    data: { added: { keyid: key.keyid, type: key.type, name: key.name, channels: key.channels ?? null }, trust: trustSummary(updated, file) },
    text: `Added ${key.name} (${key.type}, ${key.keyid}) to ${file}\n${renderTrust(updated, file)}`,
  };
}

const handler: HandlerModule = { run };
export default handler;
