/** zwh bundle sign: add a DSSE (or, with --ssh, SSHSIG) signature to a bundle's statement. */
import { signBundle } from "../../../bundle/sign";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { loadKeys, strArg } from "./common";

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const dir = strArg(ctx, "dir", "DIR", true)!;
  const keyFile = strArg(ctx, "key", "--key", true)!;
  const [key] = loadKeys(ctx, [keyFile]);
  const r = await signBundle(dir, { key, ssh: ctx.args.ssh === true });
  return {
    exitCode: 0,
    data: { dir: r.dir, keyid: r.keyid, carrier: r.carrier, file: r.file, signatures: r.signatures },
    text: `Signed ${r.dir} with ${r.keyid} (${r.carrier}; ${r.signatures} signature(s) in ${r.file})`,
  };
}

const handler: HandlerModule = { run };
export default handler;
