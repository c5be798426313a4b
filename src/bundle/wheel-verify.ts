/**
 * Streaming verification of one wheel (supply-chain.md §6, §8 step 5).
 *
 * pip does not check RECORD hashes when it installs, so Wheelhouse does, before a wheel is
 * bundled or pushed. Memory stays bounded: only the central directory, RECORD, METADATA and
 * WHEEL (each capped) are held; member data flows through in chunks.
 *
 * How it works:
 *  1. yauzl reads the central directory (decodeStrings:false, so every name check is ours and
 *     gives a stable code instead of a yauzl message). Limits (entry count, declared sizes,
 *     compression ratio), names, file types and duplicates are checked here, before any data.
 *  2. METADATA, WHEEL and RECORD of the single `*.dist-info/` are read (capped) and parsed;
 *     name/version are compared with the filename.
 *  3. ONE sequential read of the file: every byte goes into the whole-file sha256, and the
 *     member data ranges found on the way (by local header) are inflated and hashed with the
 *     algorithm RECORD names for them. So the archive hash and the member hashes come from the
 *     same bytes, and the file is read from disk once. Overlapping members (a zip-bomb
 *     technique) and local/central name disagreements are refused. The file is read 1 MiB at a
 *     time into one reused buffer; members up to 8 MiB are inflated in one call into one output
 *     buffer of their declared size, larger ones stream (256 KiB output pieces). Worker threads
 *     use inspectWheelBlocking, which does all of this synchronously on their own thread.
 *  4. RECORD is cross-checked: members missing from RECORD, RECORD lines for absent files,
 *     wrong hashes or sizes.
 *
 * verifyWheel() throws the first finding; inspectWheel() collects all of them (for --json).
 */
import { createHash, Hash } from "node:crypto";
import { readSync } from "node:fs";
import { open as openFile, FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { once } from "node:events";
import * as zlib from "node:zlib";
import { promisify } from "node:util";
import * as yauzl from "yauzl";
import { refusal, ZwhError, ZwhErrorOptions } from "../core/errors";
import { parseWheelFilename, expandTags, WheelFilename } from "../core/wheel-filename";
import { CoreMetadata, parseMetadata, parseWheelInfo, WheelInfo } from "../core/metadata";
import { parseRecord, RecordRow, STRONG_RECORD_ALGORITHMS } from "../core/record";
import { versionsEqual } from "../core/pep440";
import { normalizeName } from "../core/names";
import { checkEntryName, decodeEntryName, S_IFDIR, S_IFLNK, S_IFREG, unixFileType } from "../core/zip-names";
import { checkZipLayout, ZIP_AMBIGUOUS } from "../core/zip-layout";
import { memberLayoutDigest, memberListDigest, MemberLayoutLine, MemberListDigest, MemberLine } from "../core/member-list";
import { checkInstallPaths, startupHooksOf } from "../core/wheel-paths";
import { isValidSpecifierSet } from "../core/pep440";

export interface VerifyLimits {
  /** Most entries a wheel may have. */
  maxEntries: number;
  /** Most bytes all members may decompress to, together. */
  maxTotalUncompressed: number;
  /** Most bytes one member may decompress to. */
  maxEntryUncompressed: number;
  /** Highest uncompressed:compressed ratio for members larger than ratioMinSize. */
  maxCompressionRatio: number;
  ratioMinSize: number;
  /** Cap for METADATA, WHEEL and RECORD, which are held in memory. */
  maxMetadataFileSize: number;
}

export const DEFAULT_LIMITS: Readonly<VerifyLimits> = Object.freeze({
  maxEntries: 100_000,
  maxTotalUncompressed: 4 * 1024 ** 3,
  maxEntryUncompressed: 2 * 1024 ** 3,
  maxCompressionRatio: 200,
  ratioMinSize: 1024 ** 2,
  maxMetadataFileSize: 64 * 1024 ** 2,
});

export interface VerifyOptions {
  limits?: Partial<VerifyLimits>;
  /** Name to use for the filename checks (defaults to basename(path)). */
  filename?: string;
  /** Also return the member list (path and size) in facts.files. */
  listFiles?: boolean;
}

export interface WheelFacts {
  filename: string;
  path: string;
  /** METADATA Name. */
  name: string;
  normalizedName: string;
  /** METADATA Version. */
  version: string;
  /** Lowercase hex sha256 of the whole wheel file. */
  sha256: string;
  size: number;
  /** Expanded tags from the filename. */
  tags: string[];
  /** Lowercase hex sha256 of the RECORD file bytes: binds the wheel's contents. */
  recordSha256: string;
  requiresPython?: string;
  requiresDist: string[];
  providesExtra: string[];
  license?: string;
  metadataVersion: string;
  distInfo: string;
  /** Number of file (non-directory) members. */
  entries: number;
  /** Sum of the members' uncompressed sizes. */
  uncompressedSize: number;
  /** Digest of the member list (names, sizes, sha256) as verified here: see member-list.ts. */
  members: MemberListDigest;
  /** Digest of where each member's bytes are and how they decode (member-list.ts): the target compares its zipfile's view. */
  memberLayout: MemberListDigest;
  /** Start-up hooks: `.pth` files pip would install into site-packages (see wheel-paths.ts). */
  startupHooks: string[];
  files?: Array<{ path: string; size: number }>;
}

export interface WheelVerifyResult {
  path: string;
  ok: boolean;
  /** Present when the wheel could be read far enough to know them (even with findings). */
  facts?: WheelFacts;
  findings: ZwhError[];
}

/** Verify one wheel; throws the first finding as a ZwhError (exit code 3 for refusals). */
export async function verifyWheel(path: string, opts: VerifyOptions = {}): Promise<WheelFacts> {
  const r = await run(path, opts, false, false);
  if (r.findings.length) throw r.findings[0];
  return r.facts!;
}

/** Verify one wheel and collect every finding instead of stopping at the first. */
export async function inspectWheel(path: string, opts: VerifyOptions = {}): Promise<WheelVerifyResult> {
  return run(path, opts, true, false);
}

/**
 * inspectWheel for worker threads (bundle/wheel-worker.ts): the same checks and results, but
 * the data pass reads the file and inflates members (up to ONE_SHOT_INFLATE) synchronously on
 * the calling thread instead of on libuv's thread pool. That blocks the caller's event loop for
 * a few milliseconds per member, which a worker that verifies one wheel at a time can afford;
 * it saves two thread hops per member and keeps the pool (4 threads, shared by all workers)
 * from oversubscribing the cores. Larger members still stream through an async inflater, so
 * memory stays bounded.
 */
export async function inspectWheelBlocking(path: string, opts: VerifyOptions = {}): Promise<WheelVerifyResult> {
  return run(path, opts, true, true);
}

/**
 * Verify many wheels, `concurrency` at a time (default 2: inflate runs on libuv's pool while
 * hashing runs on the main thread, so two wheels in flight keep two cores busy). Results are in
 * input order. `collectAll: false` stops each wheel at its first finding.
 */
export async function verifyWheels(
  paths: string[],
  opts: VerifyOptions & { concurrency?: number; collectAll?: boolean } = {},
): Promise<WheelVerifyResult[]> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 2));
  const results: WheelVerifyResult[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      results[i] = await run(paths[i], { limits: opts.limits, listFiles: opts.listFiles }, opts.collectAll ?? true, false);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------

/** Thrown internally to stop processing; the findings carry the reasons. */
class Abort extends Error {}

class Findings {
  readonly list: ZwhError[] = [];
  constructor(private readonly collect: boolean) {}
  /** Record a finding; in first-finding mode this stops verification. */
  add(e: ZwhError): void {
    this.list.push(e);
    if (!this.collect) throw new Abort();
  }
  /** Record a finding after which nothing more can be checked. */
  fatal(e: ZwhError): never {
    this.list.push(e);
    throw new Abort();
  }
}

interface Member {
  index: number;
  name: string;
  rawName: Buffer;
  isDir: boolean;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  offset: number;
  yauzlEntry: yauzl.Entry;
}

const SMALL_INFLATE = 256 * 1024; // inflate synchronously: cheaper than a thread-pool round trip
/** Members up to this size (compressed and uncompressed) are inflated in one call; larger ones stream. */
const ONE_SHOT_INFLATE = 8 * 1024 * 1024;
/** Bytes read from the wheel file per read call. */
const READ_SIZE = 1024 * 1024;
/** Output chunk of the streaming inflater (zlib's default of 16 KiB costs a thread hop per 16 KiB). */
const STREAM_CHUNK = 256 * 1024;
const inflateRawAsync = promisify(zlib.inflateRaw) as (buf: Buffer, opts: zlib.ZlibOptions) => Promise<Buffer>;

async function run(path: string, opts: VerifyOptions, collect: boolean, blocking: boolean): Promise<WheelVerifyResult> {
  const limits: VerifyLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const filename = opts.filename ?? basename(path);
  const f: Findings = new Findings(collect);
  const mk = (code: string, message: string, extra: Omit<ZwhErrorOptions, "exitCode"> = {}) =>
    refusal(code, `${filename}: ${message}`, { subject: filename, ...extra });
  let facts: WheelFacts | undefined;
  let fh: FileHandle | undefined;
  let zip: yauzl.ZipFile | undefined;
  let reader: SequentialReader | undefined;
  try {
    // --- filename ---
    let fn: WheelFilename | undefined;
    try {
      fn = parseWheelFilename(filename);
    } catch (e) {
      f.add(e as ZwhError);
    }

    try {
      fh = await openFile(path, "r");
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      f.fatal(new ZwhError("ZWH-WHEEL-READ", `${filename}: cannot open ${path}: ${err.code ?? err.message}`, { subject: path, cause: e }));
    }
    // Every reader must see the same archive (zip-layout.ts) before any reader is trusted.
    const layout = checkLayout(fh.fd, (await fh.stat()).size, limits);
    for (const p of layout.problems) {
      const e = mk(p.code, p.why, {
        details: p.entry !== undefined ? { entry: p.entry } : undefined,
        hint: p.code === ZIP_AMBIGUOUS
          ? "Zip readers would disagree about this wheel's contents (pip's reader could install members this check never saw). Rebuild the wheel with a standard tool (pip wheel, python -m build) or obtain it again from its source."
          : "Different zip readers pick different copies of a duplicated entry; the wheel is ambiguous.",
      });
      if (p.code !== "ZWH-WHEEL-DUPLICATE-ENTRY") f.fatal(e);
      f.add(e);
    }
    const layoutDuplicates = layout.problems.length > 0; // only duplicates get here
    try {
      zip = await yauzl.fromFdPromise(fh.fd, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: true });
    } catch (e) {
      f.fatal(mk("ZWH-WHEEL-CORRUPT", `not a readable zip archive (${(e as Error).message})`, { cause: e }));
    }
    const fileSize = zip.fileSize;

    // --- central directory ---
    if (zip.entryCount > limits.maxEntries) {
      f.fatal(mk("ZWH-WHEEL-BOMB", `${zip.entryCount} entries exceed the limit of ${limits.maxEntries}`, { details: { entries: zip.entryCount, limit: limits.maxEntries } }));
    }
    const members = await readCentralDirectory(zip, f, mk);
    if (layout.layout) {
      const le = layout.layout.entries;
      if (le.length !== members.length || members.some((m, i) => m.offset !== le[i].localOffset || !m.rawName.equals(le[i].rawName))) {
        f.fatal(mk(ZIP_AMBIGUOUS, `the zip library reads ${members.length} entries, the layout check ${le.length} (or at other offsets)`));
      }
    }
    let declaredTotal = 0;
    const byName = new Map<string, Member>();
    const distInfoDirs = new Set<string>();
    for (const m of members) {
      const problem = m.name === undefined ? undefined : checkEntryName(m.name);
      if (problem) f.add(mk(problem.code, `unsafe entry name ${JSON.stringify(m.name)}: ${problem.why}`, { details: { entry: m.name } }));
      const type = unixFileType(m.yauzlEntry.externalFileAttributes);
      if (type === S_IFLNK) {
        f.add(mk("ZWH-WHEEL-SYMLINK", `entry ${m.name} is a symbolic link`, { details: { entry: m.name }, hint: "Wheels must not contain symlinks: pip would write the link target as a file, and other tools would follow it." }));
      } else if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
        f.add(mk("ZWH-WHEEL-SPECIAL-FILE", `entry ${m.name} is a special file (mode 0${type.toString(8)})`, { details: { entry: m.name } }));
      }
      const key = m.isDir ? m.name.slice(0, -1) : m.name;
      if (byName.has(key)) {
        if (!layoutDuplicates) f.add(mk("ZWH-WHEEL-DUPLICATE-ENTRY", `entry ${m.name} appears more than once`, { details: { entry: m.name }, hint: "Different zip readers pick different copies of a duplicated entry; the wheel is ambiguous." }));
      } else byName.set(key, m);
      if (m.flags & 0x1) f.add(mk("ZWH-WHEEL-CORRUPT", `entry ${m.name} is encrypted`));
      if (m.method !== 0 && m.method !== 8) f.add(mk("ZWH-WHEEL-CORRUPT", `entry ${m.name} uses compression method ${m.method} (only stored and deflate are supported)`));
      if (m.uncompressedSize > limits.maxEntryUncompressed) {
        f.add(mk("ZWH-WHEEL-BOMB", `entry ${m.name} declares ${m.uncompressedSize} bytes, over the per-entry limit of ${limits.maxEntryUncompressed}`, { details: { entry: m.name } }));
      }
      if (m.uncompressedSize > limits.ratioMinSize && m.uncompressedSize / Math.max(1, m.compressedSize) > limits.maxCompressionRatio) {
        f.add(
          mk("ZWH-WHEEL-BOMB", `entry ${m.name} has compression ratio ${(m.uncompressedSize / Math.max(1, m.compressedSize)).toFixed(0)}:1, over the limit of ${limits.maxCompressionRatio}:1`, {
            details: { entry: m.name, compressed: m.compressedSize, uncompressed: m.uncompressedSize },
          }),
        );
      }
      declaredTotal += m.uncompressedSize;
      const top = m.name.split("/")[0];
      if (m.name.includes("/") && top.endsWith(".dist-info")) distInfoDirs.add(top);
    }
    if (declaredTotal > limits.maxTotalUncompressed) {
      f.fatal(mk("ZWH-WHEEL-BOMB", `members declare ${declaredTotal} bytes in total, over the limit of ${limits.maxTotalUncompressed}`, { details: { total: declaredTotal } }));
    }
    if (f.list.some((e) => e.code === "ZWH-WHEEL-CORRUPT")) throw new Abort(); // cannot stream unsupported data

    // --- dist-info ---
    if (distInfoDirs.size !== 1) {
      f.fatal(
        mk("ZWH-WHEEL-DIST-INFO", distInfoDirs.size === 0 ? "no *.dist-info directory" : `${distInfoDirs.size} *.dist-info directories (${[...distInfoDirs].sort().join(", ")}); exactly one is allowed`),
      );
    }
    const distInfo = [...distInfoDirs][0];
    const fileNames = members.filter((m) => !m.isDir && m.name !== undefined).map((m) => m.name);
    for (const p of checkInstallPaths(members.map((m) => m.name), distInfo)) {
      f.add(mk(p.code, p.why, { details: { entry: p.entry }, hint: p.hint }));
    }
    const startupHooks = startupHooksOf(fileNames, distInfo);
    const special = {
      metadata: byName.get(`${distInfo}/METADATA`),
      wheel: byName.get(`${distInfo}/WHEEL`),
      record: byName.get(`${distInfo}/RECORD`),
    };
    for (const [label, m] of [["METADATA", special.metadata], ["WHEEL", special.wheel], ["RECORD", special.record]] as const) {
      if (!m || m.isDir) f.add(mk("ZWH-WHEEL-DIST-INFO", `${distInfo}/${label} is missing`));
    }
    const di = /^(.+)-([^-]+)\.dist-info$/.exec(distInfo);
    if (fn) {
      if (!di || normalizeName(di[1]) !== fn.normalizedName || !versionsEqual(di[2], fn.version)) {
        f.add(mk("ZWH-WHEEL-METADATA-MISMATCH", `dist-info directory ${distInfo} does not match the filename (${fn.normalizedName} ${fn.version})`));
      }
    }

    // Read the three small files (capped) and remember their sha256 to bind them to pass 3.
    const read = async (m: Member | undefined) => (m && !m.isDir ? readSmallMember(zip!, m, limits, f, mk) : undefined);
    const metadataBytes = await read(special.metadata);
    const wheelBytes = await read(special.wheel);
    const recordBytes = await read(special.record);

    let metadata: CoreMetadata | undefined;
    if (metadataBytes) {
      try {
        metadata = parseMetadata(metadataBytes, `${filename}: ${distInfo}/METADATA`);
      } catch (e) {
        f.add(asRefusal(e));
      }
    }
    if (metadata?.requiresPython !== undefined && !isValidSpecifierSet(metadata.requiresPython)) {
      f.add(mk("ZWH-WHEEL-METADATA", `METADATA Requires-Python ${JSON.stringify(metadata.requiresPython)} is not a valid PEP 440 version specifier`, {
        details: { requiresPython: metadata.requiresPython },
        hint: "pip cannot evaluate this wheel's Python requirement. Use a release of the project with valid metadata.",
      }));
    }
    if (metadata && fn) {
      if (metadata.normalizedName !== fn.normalizedName) {
        f.add(mk("ZWH-WHEEL-METADATA-MISMATCH", `METADATA Name "${metadata.name}" does not match the filename's "${fn.name}"`, { details: { metadata: metadata.name, filename: fn.name } }));
      }
      if (!versionsEqual(metadata.version, fn.version)) {
        f.add(mk("ZWH-WHEEL-METADATA-MISMATCH", `METADATA Version "${metadata.version}" does not match the filename's "${fn.version}"`, { details: { metadata: metadata.version, filename: fn.version } }));
      }
    }
    let wheelInfo: WheelInfo | undefined;
    if (wheelBytes) {
      try {
        wheelInfo = parseWheelInfo(wheelBytes, `${filename}: ${distInfo}/WHEEL`);
      } catch (e) {
        f.add(asRefusal(e));
      }
    }
    if (wheelInfo && fn && wheelInfo.tags.length) {
      const declared = new Set(wheelInfo.tags.flatMap((t) => safeExpand(t)));
      const named = new Set(fn.tags);
      if (declared.size !== named.size || [...named].some((t) => !declared.has(t))) {
        f.add(mk("ZWH-WHEEL-METADATA-MISMATCH", `WHEEL Tag lines (${[...declared].join(", ")}) do not match the filename tags (${fn.tags.join(", ")})`));
      }
    }
    let record: Map<string, RecordRow> | undefined;
    if (recordBytes) {
      try {
        record = new Map(parseRecord(recordBytes, `${filename}: ${distInfo}/RECORD`).map((r) => [r.path, r]));
      } catch (e) {
        f.add(asRefusal(e));
      }
    }

    // --- one sequential pass: whole-file sha256 + every member against RECORD ---
    reader = new SequentialReader(fh, fileSize, blocking);
    const recordPath = `${distInfo}/RECORD`;
    const unhashedOk = new Set([recordPath, `${distInfo}/RECORD.jws`, `${distInfo}/RECORD.p7s`]);
    const sorted = [...members].sort((a, b) => a.offset - b.offset || a.index - b.index);
    let prevEnd = 0;
    let actualTotal = 0;
    const seenFiles = new Set<string>();
    let recordSha256 = "";
    const digestsOfSpecial = new Map<Member, string>();
    const files: Array<{ path: string; size: number }> = [];
    const memberLines: MemberLine[] = [];
    const layoutLines: MemberLayoutLine[] = [];
    for (const m of sorted) {
      if (m.offset < prevEnd) {
        f.fatal(mk("ZWH-WHEEL-BOMB", `entry ${m.name} overlaps the previous entry's data (overlapping entries are a zip-bomb technique)`, { details: { entry: m.name } }));
      }
      if (m.offset + 30 > fileSize) f.fatal(mk("ZWH-WHEEL-CORRUPT", `entry ${m.name}: local header lies outside the file`));
      // Views into the reader's buffer: used before the next read.
      const header = await reader.view(m.offset, m.offset + 30);
      if (header.readUInt32LE(0) !== 0x04034b50) f.fatal(mk("ZWH-WHEEL-CORRUPT", `entry ${m.name}: bad local header signature`));
      const nameLen = header.readUInt16LE(26);
      const extraLen = header.readUInt16LE(28);
      const localMethod = header.readUInt16LE(8);
      const localName = await reader.view(m.offset + 30, m.offset + 30 + nameLen);
      if (!localName.equals(m.rawName)) {
        f.fatal(mk("ZWH-WHEEL-CORRUPT", `entry ${m.name}: local header names ${JSON.stringify(localName.toString("latin1"))} (readers that trust local headers would see a different file)`));
      }
      if (localMethod !== m.method) f.fatal(mk("ZWH-WHEEL-CORRUPT", `entry ${m.name}: local header compression method differs from the central directory`));
      const dataStart = m.offset + 30 + nameLen + extraLen;
      const dataEnd = dataStart + m.compressedSize;
      if (dataEnd > fileSize) f.fatal(mk("ZWH-WHEEL-CORRUPT", `entry ${m.name}: data runs past the end of the file`));
      prevEnd = dataEnd;

      const row = record?.get(m.name);
      const isSpecial = m === special.metadata || m === special.wheel || m === special.record;
      // Hash with RECORD's algorithm when it is a strong one; sha256 otherwise (needed for RECORD itself).
      const algo = row?.hash?.nodeAlgorithm ?? "sha256";
      const hashes: Hash[] = [createHash(algo)];
      if (algo !== "sha256") hashes.push(createHash("sha256")); // the member list carries sha256
      let produced: number;
      try {
        produced = await streamMember(reader, fh, m, dataStart, dataEnd, hashes, limits, blocking);
      } catch (e) {
        if (e instanceof MemberTooLarge) {
          f.fatal(mk("ZWH-WHEEL-BOMB", `entry ${m.name} decompresses to more than its declared ${m.uncompressedSize} bytes`, { details: { entry: m.name } }));
        }
        f.fatal(mk("ZWH-WHEEL-CORRUPT", `entry ${m.name}: ${(e as Error).message}`, { cause: e }));
      }
      if (produced !== m.uncompressedSize) {
        f.fatal(mk("ZWH-WHEEL-CORRUPT", `entry ${m.name}: decompressed to ${produced} bytes, the directory says ${m.uncompressedSize}`));
      }
      actualTotal += produced;
      if (actualTotal > limits.maxTotalUncompressed) f.fatal(mk("ZWH-WHEEL-BOMB", `members decompress to more than ${limits.maxTotalUncompressed} bytes`));
      const digest = hashes[0].digest();
      const sha256hex = algo === "sha256" ? digest.toString("hex") : hashes[1].digest("hex");
      memberLines.push({ name: m.name, size: produced, sha256: sha256hex });
      layoutLines.push({ name: m.name, localOffset: m.offset, dataOffset: dataStart, method: m.method, compressedSize: m.compressedSize, size: produced, crc32: m.yauzlEntry.crc32 });
      if (isSpecial && sha256hex) digestsOfSpecial.set(m, sha256hex);
      if (m === special.record && sha256hex) recordSha256 = sha256hex;

      if (m.isDir) {
        if (produced !== 0) f.add(mk("ZWH-WHEEL-CORRUPT", `directory entry ${m.name} has content`));
        continue;
      }
      seenFiles.add(m.name);
      if (opts.listFiles) files.push({ path: m.name, size: produced });
      if (!record) continue; // already reported: RECORD missing or malformed
      if (!row) {
        if (m.name !== recordPath) {
          f.add(mk("ZWH-WHEEL-RECORD-MISSING-ENTRY", `entry ${m.name} is not listed in RECORD`, { details: { entry: m.name }, hint: "Every file in a wheel must be listed and hashed in RECORD; an unlisted file may have been added after the wheel was built." }));
        }
        continue;
      }
      if (m.name === recordPath) continue; // RECORD cannot hash itself
      if (!row.hash) {
        if (!unhashedOk.has(m.name)) f.add(mk("ZWH-WHEEL-RECORD-MISMATCH", `RECORD has no hash for ${m.name}`, { details: { entry: m.name } }));
      } else if (!row.hash.nodeAlgorithm) {
        f.add(mk("ZWH-WHEEL-RECORD-WEAK-HASH", `RECORD hashes ${m.name} with ${row.hash.algorithm}; sha256 or stronger is required`, { details: { entry: m.name, algorithm: row.hash.algorithm } }));
      } else if (!row.hash.digest.equals(digest)) {
        f.add(
          mk("ZWH-WHEEL-RECORD-MISMATCH", `${m.name} does not match its RECORD hash`, {
            details: { entry: m.name, expected: row.hash.text, actual: `${row.hash.algorithm}=${digest.toString("base64url")}` },
            hint: "The file was changed after the wheel was built. Do not bundle it; obtain the wheel again from its source.",
          }),
        );
      }
      if (row.size === undefined) {
        if (!unhashedOk.has(m.name)) f.add(mk("ZWH-WHEEL-RECORD-MISMATCH", `RECORD has no size for ${m.name}`, { details: { entry: m.name } }));
      } else if (row.size !== produced) {
        f.add(mk("ZWH-WHEEL-RECORD-MISMATCH", `${m.name} is ${produced} bytes, RECORD says ${row.size}`, { details: { entry: m.name, expected: row.size, actual: produced } }));
      }
    }
    const whole = await reader.finish();

    // The three small files were parsed from a first read; they must be the bytes just hashed.
    for (const [m, bytes] of [[special.metadata, metadataBytes], [special.wheel, wheelBytes], [special.record, recordBytes]] as const) {
      if (m && bytes && digestsOfSpecial.get(m) !== createHash("sha256").update(bytes).digest("hex")) {
        f.fatal(mk("ZWH-WHEEL-CORRUPT", `${m.name} changed between reads (is the file being modified?)`));
      }
    }
    if (record) {
      for (const row of record.values()) {
        if (seenFiles.has(row.path)) continue;
        f.add(mk("ZWH-WHEEL-RECORD-EXTRA-ENTRY", `RECORD lists ${row.path} (line ${row.line}), which is not in the archive`, { details: { entry: row.path } }));
      }
    }

    if (metadata && fn) {
      facts = {
        filename,
        path,
        name: metadata.name,
        normalizedName: metadata.normalizedName,
        version: metadata.version,
        sha256: whole.sha256,
        size: whole.size,
        tags: fn.tags,
        recordSha256,
        requiresPython: metadata.requiresPython,
        requiresDist: metadata.requiresDist,
        providesExtra: metadata.providesExtra,
        license: metadata.license,
        metadataVersion: metadata.metadataVersion,
        distInfo,
        entries: seenFiles.size,
        uncompressedSize: actualTotal,
        members: memberListDigest(memberLines),
        memberLayout: memberLayoutDigest(layoutLines),
        startupHooks,
        ...(opts.listFiles ? { files } : {}),
      };
    }
  } catch (e) {
    if (!(e instanceof Abort)) f.list.push(asRefusal(e, filename));
  } finally {
    // The FileHandle owns the descriptor. yauzl's zip.close() would close the same fd number
    // through its slicer, and a second close could hit a descriptor another wheel has reopened
    // meanwhile (seen with two wheels in flight per worker). All reads are awaited by now.
    reader?.release();
    await fh?.close().catch(() => undefined);
  }
  const ok = f.list.length === 0;
  return { path, ok, facts: facts, findings: f.list };
}

/** Largest central directory read (100,000 entries with long names stay far below it). */
const CD_CAP = 64 * 1024 * 1024;

/** The layout check over synchronous positional reads (it batches nearby local headers itself). */
function checkLayout(fd: number, size: number, limits: VerifyLimits) {
  const read = (pos: number, len: number): Buffer => {
    const b = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, b, got, len - got, pos + got);
      if (n === 0) throw new Error("unexpected end of file");
      got += n;
    }
    return b;
  };
  return checkZipLayout(read, size, { maxCentralDirectory: Math.max(CD_CAP, limits.maxMetadataFileSize) });
}

function safeExpand(t: string): string[] {
  try {
    return expandTags(t);
  } catch {
    return [t];
  }
}

function asRefusal(e: unknown, filename?: string): ZwhError {
  if (e instanceof ZwhError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return refusal("ZWH-WHEEL-CORRUPT", filename ? `${filename}: ${msg}` : msg, { subject: filename, cause: e });
}

type Mk = (code: string, message: string, extra?: Omit<ZwhErrorOptions, "exitCode">) => ZwhError;

async function readCentralDirectory(zip: yauzl.ZipFile, f: Findings, mk: Mk): Promise<Member[]> {
  const out: Member[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on("error", reject);
      zip.on("end", () => resolve());
      zip.on("entry", (e: yauzl.Entry) => {
        const raw = e.fileNameRaw as unknown as Buffer;
        const { name, problem } = decodeEntryName({ generalPurposeBitFlag: e.generalPurposeBitFlag, extraFields: e.extraFields, fileNameRaw: raw });
        if (problem) {
          try {
            f.add(mk(problem.code, `unsafe entry name ${JSON.stringify(name)}: ${problem.why}`, { details: { entry: name } }));
          } catch (err) {
            return reject(err);
          }
        }
        out.push({
          index: out.length,
          name,
          rawName: raw,
          isDir: name.endsWith("/"),
          method: e.compressionMethod,
          flags: e.generalPurposeBitFlag,
          compressedSize: e.compressedSize,
          uncompressedSize: e.uncompressedSize,
          offset: e.relativeOffsetOfLocalHeader,
          yauzlEntry: e,
        });
        zip.readEntry();
      });
      zip.readEntry();
    });
  } catch (e) {
    if (e instanceof Abort) throw e;
    f.fatal(mk("ZWH-WHEEL-CORRUPT", `bad zip central directory (${(e as Error).message})`, { cause: e }));
  }
  return out;
}

async function readSmallMember(zip: yauzl.ZipFile, m: Member, limits: VerifyLimits, f: Findings, mk: Mk): Promise<Buffer | undefined> {
  if (m.uncompressedSize > limits.maxMetadataFileSize) {
    f.add(mk("ZWH-WHEEL-BOMB", `${m.name} declares ${m.uncompressedSize} bytes, over the ${limits.maxMetadataFileSize}-byte limit for metadata files`));
    return undefined;
  }
  if (m.method !== 0 && m.method !== 8) return undefined;
  try {
    const stream = await zip.openReadStreamPromise(m.yauzlEntry);
    const parts: Buffer[] = [];
    let n = 0;
    for await (const chunk of stream) {
      n += (chunk as Buffer).length;
      if (n > limits.maxMetadataFileSize) {
        stream.destroy();
        f.fatal(mk("ZWH-WHEEL-BOMB", `${m.name} is larger than the ${limits.maxMetadataFileSize}-byte limit for metadata files`));
      }
      parts.push(chunk as Buffer);
    }
    return Buffer.concat(parts);
  } catch (e) {
    if (e instanceof Abort) throw e;
    f.fatal(mk("ZWH-WHEEL-CORRUPT", `cannot read ${m.name}: ${(e as Error).message}`, { cause: e }));
  }
}

class MemberTooLarge extends Error {}

/**
 * Inflate (or copy) one member's data range into the hashes; returns the byte count.
 *
 * The fast paths give zlib large output buffers (one buffer of the declared size for one-shot
 * members, STREAM_CHUNK pieces when streaming). A bad member is refused either as a bomb (more
 * output than declared) or as corrupt, and which of the two zlib reports first can depend on
 * where its output buffers end; so when a fast path fails, the member is inflated again exactly
 * as before these buffers grew (16 KiB output pieces; input in 1 MiB file-aligned pieces when
 * streaming) and that result is reported. Only refused members pay for it.
 */
async function streamMember(reader: SequentialReader, fh: FileHandle, m: Member, start: number, end: number, hashes: Hash[], limits: VerifyLimits, blocking: boolean): Promise<number> {
  const update =
    hashes.length === 1
      ? (b: Buffer) => void hashes[0].update(b)
      : (b: Buffer) => {
          for (const h of hashes) h.update(b);
        };
  if (m.method === 0) {
    let n = 0;
    await reader.forEach(start, end, (part) => {
      update(part);
      n += part.length;
    });
    return n;
  }
  const cap = Math.min(m.uncompressedSize, limits.maxEntryUncompressed);
  if (m.compressedSize <= ONE_SHOT_INFLATE && m.uncompressedSize <= ONE_SHOT_INFLATE) {
    // A view into the reader's buffer: it is not reused before the inflates below have finished.
    const input = await reader.view(start, end);
    // maxOutputLength makes zlib stop as soon as output exceeds the declared size; chunkSize =
    // that size lets zlib fill one output buffer instead of 16 KiB pieces (each a thread-pool
    // round trip when async) that it would then concatenate.
    let out: Buffer | undefined;
    let failure: unknown;
    try {
      const zopts: zlib.ZlibOptions = { maxOutputLength: cap + 1, chunkSize: Math.max(64, cap + 1) };
      out = blocking || m.compressedSize <= SMALL_INFLATE ? zlib.inflateRawSync(input, zopts) : await inflateRawAsync(input, zopts);
    } catch (e) {
      failure = e;
    }
    if (out === undefined || out.length > cap) {
      await inflateOneShotAsBefore(input, m, cap); // throws: the member is bad whatever the buffer sizes
      throw out === undefined ? oneShotError(failure) : new MemberTooLarge();
    }
    update(out);
    return out.length;
  }
  // Large member: stream through an inflater, never holding more than a few chunks.
  try {
    return await inflateStreaming(
      async (write) => {
        // A copy: the reader reuses its buffer while the inflater may still hold this chunk.
        await reader.forEach(start, end, (part) => write(Buffer.from(part)));
      },
      cap,
      STREAM_CHUNK,
      update,
    );
  } catch (e) {
    if (!(e instanceof MemberTooLarge) && !(e instanceof StreamFailed)) throw e;
    await inflateStreaming(
      async (write) => {
        for (let pos = start; pos < end; ) {
          const next = Math.min(end, (Math.floor(pos / LEGACY_CHUNK) + 1) * LEGACY_CHUNK);
          await write(await readAt(fh, pos, next - pos));
          pos = next;
        }
      },
      cap,
      undefined,
      () => undefined,
    );
    throw e; // not reached: the legacy pass throws for a member the fast pass refused
  }
}

/** Input piece size of the streaming inflate before the fast paths (see streamMember). */
const LEGACY_CHUNK = 1024 * 1024;

/** Inflate a one-shot member as before the fast path; throws MemberTooLarge or the corrupt error. */
async function inflateOneShotAsBefore(input: Buffer, m: Member, cap: number): Promise<void> {
  const zopts: zlib.ZlibOptions = { maxOutputLength: cap + 1 };
  let out: Buffer;
  try {
    out = m.compressedSize <= SMALL_INFLATE ? zlib.inflateRawSync(input, zopts) : await inflateRawAsync(input, zopts);
  } catch (e) {
    throw oneShotError(e);
  }
  if (out.length > cap) throw new MemberTooLarge();
}

function oneShotError(e: unknown): Error {
  if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) return new MemberTooLarge();
  return new Error(`deflate data is corrupt (${(e as Error).message})`);
}

/** A streaming inflate failed for a reason other than size; the message says why. */
class StreamFailed extends Error {}

/**
 * Run `feed`'s input through a raw inflater with output pieces of `chunkSize` (zlib's default
 * when undefined) into `update`; returns the output size. Throws MemberTooLarge past `cap`.
 */
async function inflateStreaming(
  feed: (write: (b: Buffer) => void | Promise<void>) => Promise<void>,
  cap: number,
  chunkSize: number | undefined,
  update: (b: Buffer) => void,
): Promise<number> {
  const inflater = zlib.createInflateRaw(chunkSize ? { chunkSize } : {});
  let n = 0;
  let tooLarge = false;
  inflater.on("data", (b: Buffer) => {
    n += b.length;
    if (n > cap) {
      tooLarge = true;
      inflater.destroy(new MemberTooLarge());
      return;
    }
    update(b);
  });
  const done = new Promise<void>((resolve, reject) => {
    inflater.on("end", resolve);
    inflater.on("error", reject);
    inflater.on("close", () => (tooLarge ? reject(new MemberTooLarge()) : undefined));
  });
  done.catch(() => undefined); // observed below; avoid an unhandled rejection meanwhile
  try {
    await feed((part) => {
      if (inflater.destroyed) return;
      if (!inflater.write(part)) return Promise.race([once(inflater, "drain"), done]).then(() => undefined);
    });
    if (!inflater.destroyed) inflater.end();
    await done;
  } catch (e) {
    if (tooLarge || e instanceof MemberTooLarge) throw new MemberTooLarge();
    throw new StreamFailed(`deflate data is corrupt (${(e as Error).message})`);
  }
  if (tooLarge) throw new MemberTooLarge();
  return n;
}

/** `len` bytes at `pos` of the file, in a fresh buffer. */
async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) throw new Error("unexpected end of file");
    got += bytesRead;
  }
  return buf;
}

/** Read buffers kept for the next wheel (at most two: one per wheel in flight). */
const spareBuffers: Buffer[] = [];

/**
 * Reads a file front to back exactly once, feeding every byte to a sha256, and hands out byte
 * ranges on the way. Ranges must be requested in increasing order; gaps are read (and hashed)
 * but not returned. One buffer is filled READ_SIZE at a time and compacted when full; it starts
 * at 2 * READ_SIZE and grows (up to ONE_SHOT_INFLATE, so a one-shot member always fits) only
 * when a range needs it. Views into it are valid until the next call. In blocking mode reads
 * are synchronous.
 */
class SequentialReader {
  private buf: Buffer;
  /** File offset of buf[0]. */
  private bufStart = 0;
  /** Valid bytes in buf. */
  private bufLen = 0;
  private readonly hash = createHash("sha256");
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly blocking: boolean,
  ) {
    const initial = Math.max(1, Math.min(size, 2 * READ_SIZE));
    const i = spareBuffers.findIndex((b) => b.length >= initial);
    this.buf = i >= 0 ? spareBuffers.splice(i, 1)[0] : Buffer.allocUnsafe(initial);
  }

  /** File offset after the last byte read. */
  private get end(): number {
    return this.bufStart + this.bufLen;
  }

  /** Make room (dropping bytes before `keep`) and say how many bytes to read next. */
  private prepare(keep: number): number {
    if (this.end >= this.size) throw new Error("unexpected end of file");
    if (keep < this.bufStart) throw new Error("internal: backwards read");
    if (this.buf.length - this.bufLen < READ_SIZE) {
      const drop = Math.min(keep, this.end) - this.bufStart;
      if (drop > 0) {
        this.buf.copyWithin(0, drop, this.bufLen);
        this.bufStart += drop;
        this.bufLen -= drop;
      }
      const limit = Math.min(this.size, ONE_SHOT_INFLATE);
      if (this.buf.length - this.bufLen < READ_SIZE && this.buf.length < limit) {
        const bigger = Buffer.allocUnsafe(Math.min(limit, 2 * this.buf.length));
        this.buf.copy(bigger, 0, 0, this.bufLen);
        this.buf = bigger;
      }
    }
    const len = Math.min(READ_SIZE, this.buf.length - this.bufLen, this.size - this.end);
    if (len <= 0) throw new Error("internal: read buffer too small");
    return len;
  }

  private commit(at: number, got: number): void {
    this.hash.update(this.buf.subarray(at, at + got));
    this.bufLen += got;
  }

  private fillSync(keep: number): void {
    const len = this.prepare(keep);
    const at = this.bufLen;
    let got = 0;
    while (got < len) {
      const n = readSync(this.fh.fd, this.buf, at + got, len - got, this.end + got);
      if (n === 0) throw new Error("file shrank while being read");
      got += n;
    }
    this.commit(at, got);
  }

  private async fillAsync(keep: number): Promise<void> {
    const len = this.prepare(keep);
    const at = this.bufLen;
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.fh.read(this.buf, at + got, len - got, this.end + got);
      if (bytesRead === 0) throw new Error("file shrank while being read");
      got += bytesRead;
    }
    this.commit(at, got);
  }

  /** Bytes [start, end) as one view (end - start <= ONE_SHOT_INFLATE). */
  view(start: number, end: number): Buffer | Promise<Buffer> {
    if (this.blocking) {
      while (this.end < end) this.fillSync(start);
      return this.slice(start, end);
    }
    return this.viewAsync(start, end);
  }

  private async viewAsync(start: number, end: number): Promise<Buffer> {
    while (this.end < end) await this.fillAsync(start);
    return this.slice(start, end);
  }

  private slice(start: number, end: number): Buffer {
    if (start < this.bufStart) throw new Error("internal: backwards read");
    return this.buf.subarray(start - this.bufStart, end - this.bufStart);
  }

  /** Hand [start, end) to `each` in pieces of any length, in order. */
  async forEach(start: number, end: number, each: (b: Buffer) => void | Promise<void>): Promise<void> {
    let pos = start;
    while (pos < end) {
      if (pos >= this.end) {
        if (this.blocking) this.fillSync(pos);
        else await this.fillAsync(pos);
        continue;
      }
      const piece = this.slice(pos, Math.min(this.end, end));
      const r = each(piece);
      if (r) await r;
      pos += piece.length;
    }
  }

  async finish(): Promise<{ sha256: string; size: number }> {
    while (this.end < this.size) {
      if (this.blocking) this.fillSync(this.end);
      else await this.fillAsync(this.end);
    }
    return { sha256: this.hash.digest("hex"), size: this.end };
  }

  /** Give the buffer back for the next wheel (call once nothing holds a view). */
  release(): void {
    if (this.buf.length >= 2 * READ_SIZE && spareBuffers.length < 2) spareBuffers.push(this.buf);
    this.buf = Buffer.alloc(0);
  }
}
