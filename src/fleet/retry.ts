/**
 * Where a fleet run's retry file goes: `--retry-dir`, else next to a SQLite inventory
 * (`<store dir>/fleet-retry/`), else `~/.zwh/fleet-retry/` (a PostgreSQL store has no directory).
 * One file per run, `<run id>.retry`, usable as `--limit @FILE`.
 */
import * as os from "os";
import * as path from "path";
import { writeFileAtomic } from "../io/atomic-write";
import type { InventoryStore } from "../inventory/types";

export function retryDir(store: Pick<InventoryStore, "dialect" | "location"> | undefined, given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (given) return path.resolve(given);
  if (store?.dialect === "sqlite") return path.join(path.dirname(path.resolve(store.location)), "fleet-retry");
  return path.join(env.HOME ?? os.homedir(), ".zwh", "fleet-retry");
}

export function writeRetryFile(dir: string, runId: string, text: string): string {
  const file = path.join(dir, `${runId}.retry`);
  writeFileAtomic(file, text, { mkdirMode: 0o700 });
  return file;
}
