/**
 * Opening better-sqlite3 when its compiled addon is not where `bindings` looks for it.
 *
 * better-sqlite3's package `files` list leaves out build/, so `npm pack` with bundleDependencies
 * ships its sources but not build/Release/better_sqlite3.node. Installed from that tgz with
 * install scripts disabled (the air-gapped `zowe plugins install`, docs/offline-install.md),
 * `new Database(path)` then throws "Could not locate the bindings file". The package's
 * `prepack` script (scripts/copy-native.js) therefore copies the built addon to
 * lib/native/better_sqlite3.node, with lib/native/better_sqlite3.json saying which platform,
 * CPU and Node ABI it was built for; this module falls back to it through better-sqlite3's own
 * `nativeBinding` option.
 *
 * The normal load is always tried first, so a better-sqlite3 that npm compiled or downloaded
 * on the workstation wins over the packed copy.
 */
import Database from "better-sqlite3";
import * as fs from "node:fs";
import * as path from "node:path";

/** lib/native/ next to lib/inventory/ (this file's directory once compiled). */
export const PACKED_NATIVE_DIR = path.join(__dirname, "..", "native");
export const PACKED_NATIVE_BINDING = path.join(PACKED_NATIVE_DIR, "better_sqlite3.node");

let usePacked = false;

function packedInfo(): string {
  try {
    const i = JSON.parse(fs.readFileSync(path.join(PACKED_NATIVE_DIR, "better_sqlite3.json"), "utf8")) as Record<string, unknown>;
    return ` (the packed copy was built for ${String(i.platform)}-${String(i.arch)}, Node ABI ${String(i.modules)}; ` +
      `this is ${process.platform}-${process.arch}, Node ABI ${process.versions.modules})`;
  } catch {
    return "";
  }
}

/**
 * `new Database(file, options)`, falling back to the addon packed into lib/native when the
 * default load fails. If both fail, the error names both causes.
 */
export function openDatabase(file: string, options: Database.Options = {}): Database.Database {
  if (!usePacked) {
    try {
      return new Database(file, options);
    } catch (e) {
      if (!fs.existsSync(PACKED_NATIVE_BINDING) || !isAddonLoadError(e)) throw e;
      try {
        const db = new Database(file, { ...options, nativeBinding: PACKED_NATIVE_BINDING });
        usePacked = true;
        return db;
      } catch (e2) {
        throw new Error(
          `better-sqlite3's native addon could not be loaded: ${(e as Error).message.split("\n")[0]}; ` +
            `the packed ${PACKED_NATIVE_BINDING} failed too: ${(e2 as Error).message.split("\n")[0]}${packedInfo()}`,
        );
      }
    }
  }
  return new Database(file, { ...options, nativeBinding: PACKED_NATIVE_BINDING });
}

/** Failures to find or load the addon, as opposed to e.g. a bad path or a locked file. */
function isAddonLoadError(e: unknown): boolean {
  const m = String((e as Error)?.message ?? e);
  const code = (e as { code?: string })?.code;
  return /bindings file|better_sqlite3\.node|NODE_MODULE_VERSION|invalid ELF|wrong ELF|dlopen|cannot open shared object/i.test(m) ||
    code === "MODULE_NOT_FOUND" || code === "ERR_DLOPEN_FAILED";
}
