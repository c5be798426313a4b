/** zwh vuln sign FILE --key K --out F: a waiver list or CycloneDX VEX document as a signed DSSE envelope. */
import * as fs from "node:fs";
import { ZwhError } from "../../../core/errors";
import { readInputFile } from "../../../io/input-file";
import { VULN } from "../../../core/osv-match";
import { signWaiverDocument } from "../../../bundle/vuln-gate";
import { keyIdOf } from "../../../bundle/signing";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { listArg, loadKeys, strArg } from "../bundle/common";

const MAX_BYTES = 8 * 1024 * 1024;

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const file = strArg(ctx, "file", "FILE", true)!;
  const out = strArg(ctx, "out", "--out", true)!;
  const keys = loadKeys(ctx, listArg(ctx.args.key));
  const bytes = readInputFile(file, {
    what: "waiver document",
    maxBytes: MAX_BYTES,
    ioError: (e) => new ZwhError(VULN.WAIVERS, `cannot read ${file}: ${e.code ?? e.message}`, { subject: file, cause: e }),
  });
  const env = signWaiverDocument(bytes, keys, file);
  try {
    fs.writeFileSync(out, JSON.stringify(env, null, 2) + "\n", { flag: "wx", mode: 0o644 });
  } catch (e) {
    throw new ZwhError(VULN.USAGE, `cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { subject: out, cause: e, hint: "Choose a new --out file; it is never overwritten." });
  }
  const signedBy = keys.map(keyIdOf);
  return { exitCode: 0, data: { file, out, payloadType: env.payloadType, signedBy }, text: `Signed ${file} (${env.payloadType}) by ${signedBy.join(", ")} into ${out}` };
}

const handler: HandlerModule = { run };
export default handler;
