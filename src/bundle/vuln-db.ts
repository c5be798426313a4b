/**
 * The offline vulnerability database: an OSV `PyPI/all.zip` snapshot (one OSV JSON record per
 * zip entry), read with yauzl (supply-chain.md §11 step 1).
 *
 * Limits (a snapshot is input from outside the air gap): the file must be a regular file of at
 * most 4 GiB; at most 2,000,000 entries; each record at most 16 MiB uncompressed; entry sizes
 * are validated by yauzl against the central directory. Entries that are not `*.json` are
 * ignored; a `*.json` entry that is not an OSV record refuses the whole snapshot (a damaged
 * database must not silently drop a vulnerability).
 *
 * Identity: the sha256 of the file and its date, the newest `modified` of all records (the data's
 * own clock, so the same file always gives the same date). Both go into the signed statement.
 *
 * `packages` narrows what is kept in memory to the projects that will be asked about (the full
 * PyPI snapshot is several hundred MB as objects); every record is still parsed and counted.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yauzl from "yauzl";
import { ZwhError } from "../core/errors";
import { normalizeName } from "../core/names";
import { OsvIndex, OsvRecord, osvPackages, osvRecordProblem, VULN } from "../core/osv-match";

export const OSV_LIMITS = {
  maxFileBytes: 4 * 1024 ** 3,
  maxEntries: 2_000_000,
  maxRecordBytes: 16 * 1024 ** 2,
};

export interface OsvSnapshotInfo {
  /** Base name of the file (for messages and the statement). */
  file: string;
  ecosystem: "PyPI";
  sha256: string;
  /** Newest `modified` of all records (RFC 3339), or null for an empty snapshot. */
  date: string | null;
  /** Records read (withdrawn included). */
  records: number;
  withdrawn: number;
}

export interface OsvSnapshot extends OsvIndex {
  info: OsvSnapshotInfo;
  /** Records kept (all, or those affecting `packages`). */
  size: number;
}

export interface LoadOsvOptions {
  /** Keep only records that affect these projects (any spelling). */
  packages?: Iterable<string>;
}

function dbError(file: string, why: string, cause?: unknown): ZwhError {
  return new ZwhError(VULN.DB, `OSV snapshot ${file}: ${why}`, {
    subject: file,
    cause,
    hint: "Use an unmodified PyPI/all.zip from https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip (copied across the air gap in binary).",
  });
}

async function fileSha256(file: string): Promise<string> {
  const h = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest("hex");
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: false, decodeStrings: true }, (err, zip) => {
      if (err || !zip) reject(err ?? new Error("cannot open"));
      else resolve(zip);
    });
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error("no stream"));
      const chunks: Buffer[] = [];
      let n = 0;
      stream.on("data", (c: Buffer) => {
        n += c.length;
        if (n > OSV_LIMITS.maxRecordBytes) {
          stream.destroy(new Error(`${entry.fileName} is larger than ${OSV_LIMITS.maxRecordBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      stream.on("error", reject);
      stream.on("end", () => resolve(Buffer.concat(chunks, n)));
    });
  });
}

/** Read and index an OSV PyPI snapshot. Throws ZWH-VULN-DB on anything unreadable. */
export async function loadOsvSnapshot(fileArg: string, opts: LoadOsvOptions = {}): Promise<OsvSnapshot> {
  const file = path.resolve(fileArg);
  const label = path.basename(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw dbError(label, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, e);
  }
  if (!st.isFile()) throw dbError(label, "is not a regular file");
  if (st.size > OSV_LIMITS.maxFileBytes) throw dbError(label, `is larger than ${OSV_LIMITS.maxFileBytes} bytes`);
  const wanted = opts.packages ? new Set([...opts.packages].map(normalizeName)) : undefined;
  const shaP = fileSha256(file);
  const byName = new Map<string, OsvRecord[]>();
  let records = 0;
  let withdrawn = 0;
  let kept = 0;
  let newest: string | null = null;
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(file);
  } catch (e) {
    throw dbError(label, `is not a readable zip archive (${(e as Error).message})`, e);
  }
  if (zip.entryCount > OSV_LIMITS.maxEntries) {
    zip.close();
    throw dbError(label, `has ${zip.entryCount} entries, over the limit of ${OSV_LIMITS.maxEntries}`);
  }
  await new Promise<void>((resolve, reject) => {
    const fail = (e: unknown) => {
      try {
        zip.close();
      } catch {
        /* already closed */
      }
      reject(e instanceof ZwhError ? e : dbError(label, (e as Error).message, e));
    };
    zip.on("error", fail);
    zip.on("end", () => resolve());
    zip.on("entry", (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith("/") || !entry.fileName.endsWith(".json")) {
        zip.readEntry();
        return;
      }
      if (entry.uncompressedSize > OSV_LIMITS.maxRecordBytes) {
        fail(dbError(label, `${entry.fileName} declares ${entry.uncompressedSize} bytes, over the ${OSV_LIMITS.maxRecordBytes}-byte record limit`));
        return;
      }
      readEntry(zip, entry).then((buf) => {
        let rec: OsvRecord;
        try {
          rec = JSON.parse(buf.toString("utf8")) as OsvRecord;
        } catch (e) {
          throw dbError(label, `${entry.fileName} is not valid JSON (${(e as Error).message})`, e);
        }
        const problem = osvRecordProblem(rec);
        if (problem) throw dbError(label, `${entry.fileName} is not an OSV record: ${problem}`);
        records++;
        if (typeof rec.modified === "string" && (newest === null || rec.modified > newest)) newest = rec.modified;
        if (rec.withdrawn) {
          withdrawn++;
        } else {
          let keptHere = false;
          for (const name of osvPackages(rec)) {
            if (wanted && !wanted.has(name)) continue;
            const list = byName.get(name);
            if (list) list.push(rec);
            else byName.set(name, [rec]);
            keptHere = true;
          }
          if (keptHere) kept++;
        }
        zip.readEntry();
      }).catch(fail);
    });
    zip.readEntry();
  });
  const info: OsvSnapshotInfo = { file: label, ecosystem: "PyPI", sha256: await shaP, date: newest, records, withdrawn };
  return {
    info,
    size: kept,
    recordsFor: (name: string) => byName.get(normalizeName(name)) ?? [],
  };
}
