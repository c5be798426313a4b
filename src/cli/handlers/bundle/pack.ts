/** zwh bundle pack: a bundle directory as one ustar archive. */
import { packBundle } from "../../../bundle/tar";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { strArg } from "./common";

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const dir = strArg(ctx, "dir", "DIR", true)!;
  const out = strArg(ctx, "out", "--out", true)!;
  const r = await packBundle(dir, out);
  return { exitCode: 0, data: { ...r }, text: `Packed ${dir} into ${r.file} (${r.entries} entries, ${r.bytes} bytes, sha256 ${r.sha256})` };
}

const handler: HandlerModule = { run };
export default handler;
