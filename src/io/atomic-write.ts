/** Replace-by-rename file writes shared by the trust file, the rollback state and bundle signatures. */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export interface AtomicWriteOptions {
  /** Mode of the new file (default: 0666 minus umask). */
  mode?: number;
  /** Create the parent directory (recursively) with this mode first. */
  mkdirMode?: number;
}

/**
 * Write `data` to a new temporary sibling of `file` (O_EXCL) and rename it over `file`, so
 * readers see the old contents or the new ones, never a half-written file. On failure the
 * temporary file is removed and the fs error is rethrown for the caller to wrap.
 */
export function writeFileAtomic(file: string, data: string | Buffer, opts: AtomicWriteOptions = {}): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`);
  try {
    if (opts.mkdirMode !== undefined) fs.mkdirSync(dir, { recursive: true, mode: opts.mkdirMode });
    fs.writeFileSync(tmp, data, { flag: "wx", ...(opts.mode !== undefined ? { mode: opts.mode } : {}) });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** "ENOENT", or the message when an error has no code: the tail of "cannot read X: ..." messages. */
export function errnoText(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}
