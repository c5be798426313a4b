/** File access shared by the bundle commands: reading the manifest files, listing a bundle tree. */
import * as fs from "node:fs";
import * as path from "node:path";
import { ZwhError } from "../core/errors";
import { errnoText } from "../io/atomic-write";
import { BUNDLE } from "./codes";
import { STATEMENT_FILE } from "./statement";
import { INPUT_LIMITS, readInputFile, readOptionalInput } from "../io/input-file";

/** ZWH-BUNDLE-IO for a failed file operation: "<what>: ENOENT". */
export function bundleIoError(what: string, subject: string, e: unknown): ZwhError {
  return new ZwhError(BUNDLE.IO, `${what}: ${errnoText(e)}`, { subject, cause: e });
}

/**
 * The exact bytes of DIR/manifest.intoto.json (ZWH-BUNDLE-IO when unreadable; a FIFO, device or
 * oversized file is refused without blocking, see src/io/input-file.ts).
 */
export function readStatementFile(dir: string): Buffer {
  const file = path.join(dir, STATEMENT_FILE);
  return readInputFile(file, { what: "bundle file", maxBytes: INPUT_LIMITS.manifest, ioError: (e) => bundleIoError(`cannot read ${file}`, dir, e) });
}

/** A bundle file's bytes (manifest, envelope, signature), or undefined when it does not exist. */
export function readOptional(file: string): Buffer | undefined {
  return readOptionalInput(file, { what: "bundle file", maxBytes: INPUT_LIMITS.manifest, ioError: (e) => bundleIoError(`cannot read ${file}`, file, e) });
}

export interface TreeEntry {
  /** Relative POSIX path. */
  rel: string;
  kind: "file" | "dir" | "special";
  size: number;
}

/**
 * Every entry under dir, depth first with the names of each directory sorted (so equal trees
 * list equally); symbolic links are not followed but listed as "special". fs errors are thrown.
 */
export function walkTree(dir: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const visit = (rel: string) => {
    for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) {
        out.push({ rel: r, kind: "dir", size: 0 });
        visit(r);
      } else if (d.isFile()) {
        out.push({ rel: r, kind: "file", size: fs.lstatSync(path.join(dir, r)).size });
      } else out.push({ rel: r, kind: "special", size: 0 });
    }
  };
  visit("");
  return out;
}
