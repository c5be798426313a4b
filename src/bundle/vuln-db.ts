/**
 * The offline vulnerability database: an OSV `PyPI/all.zip` snapshot (one OSV JSON record per
 * zip entry), read with yauzl (supply-chain.md §11 step 1).
 *
 * Limits (a snapshot is input from outside the air gap): the file must be a regular file of at
 * most 1 GiB (the real PyPI export is tens of MB); it is hashed in 1 MiB pieces, then either read
 * into memory (full read: the copy must hash the same) or, with a package index for that sha256,
 * only the indexed records are read at their offsets; at most 2,000,000 entries; each record at most 16 MiB uncompressed; entry sizes
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
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import * as yauzl from "yauzl";
import { ZwhError } from "../core/errors";
import { openInputFile, readInputFile } from "../io/input-file";
import { writeFileAtomic } from "../io/atomic-write";
import { normalizeName } from "../core/names";
import { OsvIndex, OsvRecord, osvPackages, osvRecordProblem, VULN } from "../core/osv-match";

export const OSV_LIMITS = {
  maxFileBytes: 1024 ** 3,
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
  /**
   * Directory for the snapshot's package index (osv-index-<sha256>.json): which zip entries
   * name which project. Written after the first full read of a snapshot; later reads of the
   * SAME bytes (the sha256 is always recomputed from the file) inflate only the entries of the
   * asked-for projects. Without it every read inflates every record.
   */
  indexDir?: string;
}

const INDEX_FORMAT = 1;

/** Where the CLI keeps snapshot indexes: $ZWH_CACHE/osv, else ~/.zwh/cache/osv. */
export function defaultOsvIndexDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.ZWH_CACHE ?? path.join(env.HOME ?? os.homedir(), ".zwh", "cache"), "osv");
}

/** [entry name, local header offset, compressed size, uncompressed size, method, crc32] */
type IndexEntry = [string, number, number, number, number, number];

interface SnapshotIndex {
  formatVersion: 1;
  sha256: string;
  records: number;
  withdrawn: number;
  date: string | null;
  /** Normalized project → entries of non-withdrawn records that affect it. */
  packages: Record<string, IndexEntry[]>;
}

function indexPath(dir: string, sha256: string): string {
  return path.join(dir, `osv-index-${sha256}.json`);
}

/** The index for these bytes, or undefined when absent or not usable (then the snapshot is read in full). */
function readIndex(dir: string, sha256: string): SnapshotIndex | undefined {
  try {
    const x = JSON.parse(readInputFile(indexPath(dir, sha256), { what: "OSV index", maxBytes: 512 * 1024 * 1024 }).toString("utf8")) as SnapshotIndex;
    if (x.formatVersion !== INDEX_FORMAT || x.sha256 !== sha256 || typeof x.packages !== "object" || x.packages === null) return undefined;
    return x;
  } catch {
    return undefined;
  }
}

function writeIndex(dir: string, idx: SnapshotIndex): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(indexPath(dir, idx.sha256), JSON.stringify(idx), { mode: 0o600 });
  } catch {
    /* an index is an optimisation: without it the next read is a full read */
  }
}

function toRef(x: IndexEntry): EntryRef {
  return { fileName: x[0], relativeOffsetOfLocalHeader: x[1], compressedSize: x[2], uncompressedSize: x[3], compressionMethod: x[4], crc32: x[5] };
}

function dbError(file: string, why: string, cause?: unknown): ZwhError {
  return new ZwhError(VULN.DB, `OSV snapshot ${file}: ${why}`, {
    subject: file,
    cause,
    hint: "Use an unmodified PyPI/all.zip from https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip (copied across the air gap in binary).",
  });
}

function listEntries(buf: Buffer): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, decodeStrings: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error("cannot open"));
      if (zip.entryCount > OSV_LIMITS.maxEntries) return reject(new Error(`has ${zip.entryCount} entries, over the limit of ${OSV_LIMITS.maxEntries}`));
      const out: yauzl.Entry[] = [];
      zip.on("entry", (e: yauzl.Entry) => {
        out.push(e);
        zip.readEntry();
      });
      zip.on("end", () => resolve(out));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

/**
 * One record's bytes. yauzl read the central directory; the data is inflated here directly from
 * the file buffer (one synchronous inflate per record instead of a stream per record: the
 * snapshot has tens of thousands of small entries). Local header, method, sizes and CRC-32 are
 * checked against the central directory.
 */
type EntryRef = Pick<yauzl.Entry, "fileName" | "relativeOffsetOfLocalHeader" | "compressedSize" | "uncompressedSize" | "compressionMethod" | "crc32">;

/** Bytes of the snapshot file: the in-memory copy (full read) or positioned reads (indexed read). */
interface ByteSource {
  size: number;
  read(pos: number, len: number): Buffer;
}

function bufferSource(buf: Buffer): ByteSource {
  return { size: buf.length, read: (pos, len) => buf.subarray(pos, pos + len) };
}

function fdSource(fd: number, size: number): ByteSource {
  return {
    size,
    read(pos, len) {
      const out = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const n = fs.readSync(fd, out, got, len - got, pos + got);
        if (n === 0) throw new Error("the file is shorter than its zip directory says");
        got += n;
      }
      return out;
    },
  };
}

function entryBytes(src: ByteSource, e: EntryRef): Buffer {
  const at = e.relativeOffsetOfLocalHeader;
  if (at + 30 > src.size) throw new Error(`${e.fileName}: bad local file header`);
  const head = src.read(at, 30);
  if (head.readUInt32LE(0) !== 0x04034b50) throw new Error(`${e.fileName}: bad local file header`);
  const start = at + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  const end = start + e.compressedSize;
  if (end > src.size) throw new Error(`${e.fileName}: data runs past the end of the archive`);
  const raw = src.read(start, e.compressedSize);
  let data: Buffer;
  if (e.compressionMethod === 0) data = raw;
  else if (e.compressionMethod === 8) data = zlib.inflateRawSync(raw, { maxOutputLength: OSV_LIMITS.maxRecordBytes });
  else throw new Error(`${e.fileName}: unsupported compression method ${e.compressionMethod}`);
  if (data.length !== e.uncompressedSize) throw new Error(`${e.fileName}: inflates to ${data.length} bytes, the directory says ${e.uncompressedSize}`);
  const crc32 = (zlib as unknown as { crc32?: (b: Buffer) => number }).crc32;
  if (crc32 && (crc32(data) >>> 0) !== (e.crc32 >>> 0)) throw new Error(`${e.fileName}: CRC-32 mismatch`);
  return data;
}

/** Read and index an OSV PyPI snapshot. Throws ZWH-VULN-DB on anything unreadable. */
export async function loadOsvSnapshot(fileArg: string, opts: LoadOsvOptions = {}): Promise<OsvSnapshot> {
  const file = path.resolve(fileArg);
  const label = path.basename(file);
  const wanted = opts.packages ? new Set([...opts.packages].map(normalizeName)) : undefined;
  let opened: { fd: number; size: number };
  try {
    opened = openInputFile(file, { what: "OSV snapshot", maxBytes: OSV_LIMITS.maxFileBytes });
  } catch (e) {
    throw dbError(label, (e as Error).message, e);
  }
  try {
    return await loadFrom(opened.fd, opened.size, label, wanted, opts.indexDir);
  } finally {
    fs.closeSync(opened.fd);
  }
}

/** Read `len` bytes from the start of fd into one buffer, or hash them in 1 MiB pieces. */
function readAll(fd: number, size: number, into?: Buffer): string {
  const h = crypto.createHash("sha256");
  const piece = into ? undefined : Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  while (pos < size) {
    const target = into ?? piece!;
    const off = into ? pos : 0;
    const n = fs.readSync(fd, target, off, Math.min(target.length - off, size - pos), pos);
    if (n === 0) break;
    h.update(target.subarray(off, off + n));
    pos += n;
  }
  if (pos !== size) throw new Error("the file changed while it was read");
  return h.digest("hex");
}

async function loadFrom(fd: number, size: number, label: string, wanted: Set<string> | undefined, indexDir: string | undefined): Promise<OsvSnapshot> {
  let sha256: string;
  try {
    sha256 = readAll(fd, size);
  } catch (e) {
    throw dbError(label, (e as Error).message, e);
  }
  const index = indexDir ? readIndex(indexDir, sha256) : undefined;
  let src: ByteSource;
  let buf: Buffer | undefined;
  if (index) {
    src = fdSource(fd, size); // only the indexed records are read
  } else {
    buf = Buffer.allocUnsafe(size);
    try {
      if (readAll(fd, size, buf) !== sha256) throw new Error("the file changed while it was read");
    } catch (e) {
      throw dbError(label, (e as Error).message, e);
    }
    src = bufferSource(buf);
  }
  const byName = new Map<string, OsvRecord[]>();
  const parse = (ref: EntryRef): OsvRecord => {
    let bytes: Buffer;
    try {
      bytes = entryBytes(src, ref);
    } catch (e) {
      throw dbError(label, (e as Error).message, e);
    }
    let rec: OsvRecord;
    try {
      rec = JSON.parse(bytes.toString("utf8")) as OsvRecord;
    } catch (e) {
      throw dbError(label, `${ref.fileName} is not valid JSON (${(e as Error).message})`, e);
    }
    const problem = osvRecordProblem(rec);
    if (problem) throw dbError(label, `${ref.fileName} is not an OSV record: ${problem}`);
    return rec;
  };
  if (index) {
    // Same bytes as when the index was built: read only the records of the asked-for projects.
    const seen = new Map<number, OsvRecord>();
    let kept = 0;
    for (const [name, refs] of Object.entries(index.packages)) {
      if (wanted && !wanted.has(name)) continue;
      const list: OsvRecord[] = [];
      for (const x of refs) {
        let rec = seen.get(x[1]);
        if (!rec) {
          rec = parse(toRef(x));
          seen.set(x[1], rec);
          kept++;
        }
        if (!osvPackages(rec).includes(name)) throw dbError(label, `${x[0]} does not name ${name} as the index says; delete ${indexPath(indexDir!, sha256)}`);
        list.push(rec);
      }
      byName.set(name, list);
    }
    return {
      info: { file: label, ecosystem: "PyPI", sha256, date: index.date, records: index.records, withdrawn: index.withdrawn },
      size: kept,
      recordsFor: (name: string) => byName.get(normalizeName(name)) ?? [],
    };
  }
  const built: Record<string, IndexEntry[]> = {};
  let records = 0;
  let withdrawn = 0;
  let kept = 0;
  let newest: string | null = null;
  let entries: yauzl.Entry[];
  try {
    entries = await listEntries(buf!);
  } catch (e) {
    throw dbError(label, `is not a readable zip archive (${(e as Error).message})`, e);
  }
  for (const entry of entries) {
    if (entry.fileName.endsWith("/") || !entry.fileName.endsWith(".json")) continue;
    if (entry.uncompressedSize > OSV_LIMITS.maxRecordBytes) throw dbError(label, `${entry.fileName} declares ${entry.uncompressedSize} bytes, over the ${OSV_LIMITS.maxRecordBytes}-byte record limit`);
    const rec = parse(entry);
    records++;
    if (typeof rec.modified === "string" && (newest === null || rec.modified > newest)) newest = rec.modified;
    if (rec.withdrawn) {
      withdrawn++;
      continue;
    }
    let keptHere = false;
    const ref: IndexEntry = [entry.fileName, entry.relativeOffsetOfLocalHeader, entry.compressedSize, entry.uncompressedSize, entry.compressionMethod, entry.crc32];
    for (const name of osvPackages(rec)) {
      (built[name] ??= []).push(ref);
      if (wanted && !wanted.has(name)) continue;
      const list = byName.get(name);
      if (list) list.push(rec);
      else byName.set(name, [rec]);
      keptHere = true;
    }
    if (keptHere) kept++;
  }
  if (indexDir) writeIndex(indexDir, { formatVersion: INDEX_FORMAT, sha256, records, withdrawn, date: newest, packages: built });
  const info: OsvSnapshotInfo = { file: label, ecosystem: "PyPI", sha256, date: newest, records, withdrawn };
  return {
    info,
    size: kept,
    recordsFor: (name: string) => byName.get(normalizeName(name)) ?? [],
  };
}
