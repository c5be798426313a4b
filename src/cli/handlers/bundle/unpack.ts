/** zwh bundle unpack: extract a bundle archive safely into a new directory. */
import { unpackBundle } from "../../../bundle/tar";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { strArg } from "./common";

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const file = strArg(ctx, "file", "FILE", true)!;
  const out = strArg(ctx, "out", "--out", true)!;
  const r = await unpackBundle(file, out);
  return {
    exitCode: 0,
    data: { dir: r.dir, entries: r.entries.map((e) => ({ name: e.name, type: e.type, size: e.size })) },
    text: `Unpacked ${r.entries.length} entries into ${r.dir}\nNext: zwh bundle verify ${r.dir} --trust TRUST`,
  };
}

const handler: HandlerModule = { run };
export default handler;
