/** `inventory export --format json|csv|cyclonedx`. */
import * as fs from "fs";
import * as path from "path";
import { ZwhError } from "../../../core/errors";
import { writeFileAtomic } from "../../../io/atomic-write";
import { inventoryCsv, inventoryCycloneDx, inventoryList } from "../../../report/inventory";
import { openInventory } from "../../framework/deploy-options";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._+-]+/g, "_").replace(/^_+|_+$/g, "") || "x";
}

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const format = String(ctx.args.format ?? "json");
  const out = typeof ctx.args.out === "string" && ctx.args.out !== "" ? path.resolve(ctx.args.out) : undefined;
  const store = await openInventory(ctx);
  try {
    const rows = await inventoryList(store, typeof ctx.args.host === "string" ? { host: ctx.args.host } : {});
    if (format === "csv") {
      const text = inventoryCsv(rows);
      if (out) writeFileAtomic(out, text);
      return { exitCode: 0, data: { formatVersion: 1, format, rows: rows.reduce((n, r) => n + r.packages.length, 0), ...(out ? { out } : {}) }, text: out ? `Wrote ${out}\n` : text };
    }
    if (format === "cyclonedx") {
      const boms = await inventoryCycloneDx(store, rows);
      if (out) {
        fs.mkdirSync(out, { recursive: true });
        const files = boms.map((b) => {
          const f = path.join(out, `${safe(b.host)}_${safe(b.root)}_${safe(b.releaseId)}.cdx.json`);
          writeFileAtomic(f, b.bom);
          return f;
        });
        return { exitCode: 0, data: { formatVersion: 1, format, files }, text: files.map((f) => `Wrote ${f}`).join("\n") + "\n" };
      }
      if (boms.length !== 1 && !ctx.json) {
        throw new ZwhError("ZWH-ARGS-MISSING", `${boms.length} host releases make ${boms.length} CycloneDX documents; give --out DIR (one file each), --host, or --json`, { hint: "e.g. --format cyclonedx --out sboms/" });
      }
      return { exitCode: 0, data: { formatVersion: 1, format, boms: boms.map((b) => ({ host: b.host, root: b.root, releaseId: b.releaseId, bom: JSON.parse(b.bom) as unknown })) }, text: boms[0]?.bom ?? "" };
    }
    const data = { formatVersion: 1, format: "json", store: store.location, deployments: rows };
    const text = JSON.stringify(data, null, 2) + "\n";
    if (out) writeFileAtomic(out, text);
    return { exitCode: 0, data: { ...data, ...(out ? { out } : {}) }, text: out ? `Wrote ${out}\n` : text };
  } finally {
    await store.close();
  }
};

export default { run };
