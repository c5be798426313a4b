/**
 * Zip layout check: accept only archives that every zip reader sees the same way.
 *
 * Readers disagree about malformed zips in ways an attacker can use (issue 8): yauzl reads the
 * number of central-directory entries the end record counts, starting at the offset it states;
 * Python's zipfile (pip's reader) reads central-directory entries until the stated SIZE is used
 * up and relocates the directory from the end record's POSITION (data prepended to the archive
 * shifts every offset); streaming readers trust local headers. So a wheel can show the verifier
 * one member list and pip another. This module parses the end record (and zip64 end record +
 * locator), the whole central directory and every local header itself and refuses anything
 * where those readings could differ:
 *   - exactly one end record, ending exactly at the end of the file (comment length included);
 *     single disk; the counts on "this disk" and in total agree;
 *   - zip64: the locator immediately before the end record, pointing at a 56-byte zip64 end
 *     record immediately before it (Python assumes that position, yauzl follows the pointer);
 *     the classic fields either saturated or equal to the zip64 values;
 *   - central directory: starts at the stated offset, ends exactly where the (zip64) end record
 *     begins, holds exactly the counted number of entries, every extra field well formed;
 *   - members: the first local header at offset 0, each member (local header, name, extra,
 *     data, data descriptor when flag 3 is set) ending exactly where the next begins, the last
 *     ending exactly where the central directory begins (no bytes before, between or after);
 *   - local headers agree with their central entries: name bytes, flags, method, CRC-32 and
 *     sizes (zeros allowed in the local header only when a data descriptor carries them, which
 *     must then agree too);
 *   - no two entries with the same name after normalisation (Unicode NFC, `\` as `/`, `./` and
 *     empty segments dropped, a trailing `/` ignored): readers pick different copies.
 *
 * Pure: the caller supplies a synchronous `read(position, length)`. Reads: the tail (at most
 * 64 KiB + 98 bytes), the central directory once, and one small read per local header and data
 * descriptor.
 */

export const ZIP_AMBIGUOUS = "ZWH-WHEEL-ZIP-AMBIGUOUS";
export const DUPLICATE_ENTRY = "ZWH-WHEEL-DUPLICATE-ENTRY";
/** Not a zip archive at all (no end record): no reader would read it. */
export const ZIP_CORRUPT = "ZWH-WHEEL-CORRUPT";

export interface ZipLayoutProblem {
  code: typeof ZIP_AMBIGUOUS | typeof DUPLICATE_ENTRY | typeof ZIP_CORRUPT;
  why: string;
  /** Entry name (latin-1 rendering of the raw bytes when not UTF-8-flagged). */
  entry?: string;
}

export interface ZipLayoutEntry {
  index: number;
  rawName: Buffer;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
}

export interface ZipLayout {
  entries: ZipLayoutEntry[];
  cdOffset: number;
  cdSize: number;
  /** Position of the (classic) end of central directory record. */
  eocdOffset: number;
  zip64: boolean;
}

export type ReadAt = (position: number, length: number) => Buffer;

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOCATOR64 = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;
const EOCD_SIZE = 22;
const EOCD64_SIZE = 56;
const LOCATOR64_SIZE = 20;
const MAX_COMMENT = 0xffff;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const FLAG_DESCRIPTOR = 0x8;
const FLAG_UTF8 = 0x800;
/** Most bytes one read of local headers spans. */
const HEADER_SPAN = 64 * 1024;
const EOCD_SIG_BYTES = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

class LayoutError extends Error {
  constructor(readonly problem: ZipLayoutProblem) {
    super(problem.why);
  }
}

function fail(why: string, entry?: string): never {
  throw new LayoutError({ code: ZIP_AMBIGUOUS, why, ...(entry !== undefined ? { entry } : {}) });
}

function corrupt(why: string): never {
  throw new LayoutError({ code: ZIP_CORRUPT, why });
}

/** Read a little-endian u64 as a safe integer (refused above 2^53). */
function u64(b: Buffer, at: number, what: string): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${v} is too large`);
  return Number(v);
}

function displayName(raw: Buffer, flags: number): string {
  return flags & FLAG_UTF8 ? raw.toString("utf8") : raw.toString("latin1");
}

/** Name key for duplicate detection: NFC, `\`→`/`, no `.`/empty segments, no trailing `/`. */
export function normalizedEntryKey(name: string): string {
  // eslint-disable-next-line no-control-regex
  return (/^[\x00-\x7f]*$/.test(name) ? name : name.normalize("NFC")) // ASCII is already NFC
    .replace(/\\/g, "/")
    .split("/")
    .filter((s) => s !== "" && s !== ".")
    .join("/");
}

interface Extra {
  id: number;
  data: Buffer;
}

/** Split an extra-field block; malformed blocks are refused (Python raises on them, yauzl does not). */
function parseExtras(buf: Buffer, where: string, entry: string): Extra[] {
  const out: Extra[] = [];
  let p = 0;
  while (p < buf.length) {
    if (p + 4 > buf.length) fail(`${where} extra field is truncated`, entry);
    const id = buf.readUInt16LE(p);
    const len = buf.readUInt16LE(p + 2);
    if (p + 4 + len > buf.length) fail(`${where} extra field 0x${id.toString(16)} runs past its block`, entry);
    if (out.some((e) => e.id === id)) fail(`${where} extra field 0x${id.toString(16)} appears twice`, entry);
    out.push({ id, data: buf.subarray(p + 4, p + 4 + len) });
    p += 4 + len;
  }
  return out;
}

/** Apply a zip64 extended-information field to the saturated 32-bit values (in the spec's order). */
function applyZip64(extras: Extra[], vals: { usize: number; csize: number; offset?: number }, where: string, entry: string): void {
  const z = extras.find((e) => e.id === 0x0001);
  const need = [vals.usize === U32_MAX, vals.csize === U32_MAX, vals.offset === U32_MAX];
  if (!need.some(Boolean)) return;
  if (!z) fail(`${where} has a saturated size or offset but no zip64 extra field`, entry);
  let p = 0;
  const take = (what: string) => {
    if (p + 8 > z.data.length) fail(`${where} zip64 extra field is too short for the ${what}`, entry);
    const v = u64(z.data, p, `${where} zip64 ${what}`);
    p += 8;
    return v;
  };
  if (need[0]) vals.usize = take("uncompressed size");
  if (need[1]) vals.csize = take("compressed size");
  if (need[2]) vals.offset = take("local header offset");
}

/**
 * Check the layout; returns the parsed layout, or the problems found (the first structural
 * problem ends the check; duplicate names are all listed).
 */
export function checkZipLayout(read: ReadAt, fileSize: number, opts: { maxCentralDirectory?: number } = {}): { layout?: ZipLayout; problems: ZipLayoutProblem[] } {
  try {
    const layout = parseLayout(read, fileSize, opts.maxCentralDirectory ?? 64 * 1024 * 1024);
    const dups = duplicateNames(layout.entries);
    return dups.length ? { layout, problems: dups } : { layout, problems: [] };
  } catch (e) {
    if (e instanceof LayoutError) return { problems: [e.problem] };
    throw e;
  }
}

function parseLayout(read: ReadAt, fileSize: number, maxCd: number): ZipLayout {
  if (fileSize < EOCD_SIZE) corrupt(`not a zip archive (${fileSize} bytes is too short)`);
  // --- end record: the LAST signature in the window, and its comment must end the file ---
  const tailLen = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT + LOCATOR64_SIZE + EOCD64_SIZE);
  const tailStart = fileSize - tailLen;
  const tail = read(tailStart, tailLen);
  const at = tail.lastIndexOf(EOCD_SIG_BYTES, tail.length - EOCD_SIZE);
  if (at < 0 || fileSize - (tailStart + at) > EOCD_SIZE + MAX_COMMENT) corrupt("not a zip archive (no end of central directory record)");
  const eocdOffset = tailStart + at;
  const e = tail.subarray(at, at + EOCD_SIZE);
  const disk = e.readUInt16LE(4);
  const cdDisk = e.readUInt16LE(6);
  let onDisk = e.readUInt16LE(8);
  let count = e.readUInt16LE(10);
  let cdSize = e.readUInt32LE(12);
  let cdOffset = e.readUInt32LE(16);
  const commentLen = e.readUInt16LE(20);
  if (eocdOffset + EOCD_SIZE + commentLen !== fileSize) {
    fail(`the end record's comment length (${commentLen}) does not reach the end of the file (${fileSize - eocdOffset - EOCD_SIZE - commentLen} bytes differ): data appended after the archive, or a second end record`);
  }
  if (tail.indexOf(EOCD_SIG_BYTES, at + 4) >= 0) fail("the archive comment contains an end-record signature");

  // --- zip64: Python looks for the locator right before the end record and assumes the zip64
  //     end record right before that; yauzl follows the locator's pointer. Both must agree. ---
  let zip64 = false;
  let cdEnd = eocdOffset;
  if (eocdOffset >= LOCATOR64_SIZE) {
    const loc = read(eocdOffset - LOCATOR64_SIZE, LOCATOR64_SIZE);
    if (loc.readUInt32LE(0) === SIG_LOCATOR64) {
      zip64 = true;
      const recPos = eocdOffset - LOCATOR64_SIZE - EOCD64_SIZE;
      if (recPos < 0) fail("a zip64 locator without room for a zip64 end record");
      if (loc.readUInt32LE(4) !== 0 || loc.readUInt32LE(16) > 1) fail("multi-disk zip64 archives are not supported");
      if (u64(loc, 8, "zip64 end record offset") !== recPos) fail("the zip64 locator points elsewhere than the zip64 end record right before it");
      const r = read(recPos, EOCD64_SIZE);
      if (r.readUInt32LE(0) !== SIG_EOCD64) fail("bad zip64 end record signature");
      if (u64(r, 4, "zip64 end record size") !== EOCD64_SIZE - 12) fail("the zip64 end record has an extensible data sector");
      if (r.readUInt32LE(16) !== 0 || r.readUInt32LE(20) !== 0) fail("multi-disk zip64 archives are not supported");
      const onDisk64 = u64(r, 24, "zip64 entry count");
      const count64 = u64(r, 32, "zip64 entry count");
      const size64 = u64(r, 40, "zip64 central directory size");
      const off64 = u64(r, 48, "zip64 central directory offset");
      const agrees = (classic: number, max: number, v64: number) => classic === max || classic === v64;
      if (!agrees(onDisk, U16_MAX, onDisk64) || !agrees(count, U16_MAX, count64) || !agrees(cdSize, U32_MAX, size64) || !agrees(cdOffset, U32_MAX, off64)) {
        fail("the end record and the zip64 end record state different counts, sizes or offsets");
      }
      onDisk = onDisk64;
      count = count64;
      cdSize = size64;
      cdOffset = off64;
      cdEnd = recPos;
    }
  }
  if (!zip64 && (count === U16_MAX || cdOffset === U32_MAX || cdSize === U32_MAX)) fail("saturated end-record fields without a zip64 end record");
  if (disk !== 0 || cdDisk !== 0) fail("multi-disk archives are not supported");
  if (onDisk !== count) fail(`the end record counts ${onDisk} entries on this disk but ${count} in total`);
  // Python relocates the directory by (end record position - size - offset); yauzl does not.
  if (cdOffset + cdSize !== cdEnd) {
    fail(`the central directory (offset ${cdOffset}, size ${cdSize}) does not end where the end record begins (${cdEnd}): prepended data or a stated offset other readers would relocate`);
  }
  if (cdSize > maxCd) fail(`the central directory is ${cdSize} bytes, over the ${maxCd}-byte limit`);

  // --- central directory: parsed by SIZE, must hold exactly the counted entries ---
  const cd = cdSize ? read(cdOffset, cdSize) : Buffer.alloc(0);
  const entries: ZipLayoutEntry[] = [];
  let p = 0;
  while (p < cd.length) {
    if (p + 46 > cd.length) fail(`central directory entry ${entries.length + 1} is truncated`);
    if (cd.readUInt32LE(p) !== SIG_CENTRAL) fail(`bad central directory signature at entry ${entries.length + 1} (offset ${cdOffset + p})`);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc32 = cd.readUInt32LE(p + 16);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen2 = cd.readUInt16LE(p + 32);
    const diskStart = cd.readUInt16LE(p + 34);
    const end = p + 46 + nameLen + extraLen + commentLen2;
    if (end > cd.length) fail(`central directory entry ${entries.length + 1} runs past the directory`);
    const rawName = Buffer.from(cd.subarray(p + 46, p + 46 + nameLen));
    const name = displayName(rawName, flags);
    const extras = parseExtras(cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen), "central", name);
    const vals = { usize: cd.readUInt32LE(p + 24), csize: cd.readUInt32LE(p + 20), offset: cd.readUInt32LE(p + 42) as number | undefined };
    applyZip64(extras, vals, "central entry", name);
    if (diskStart !== 0) fail(`entry ${name} starts on disk ${diskStart}`, name);
    entries.push({ index: entries.length, rawName, flags, method, crc32, compressedSize: vals.csize, uncompressedSize: vals.usize, localOffset: vals.offset! });
    p = end;
  }
  if (entries.length !== count) {
    fail(`the central directory holds ${entries.length} entries but the end record counts ${count}: readers that count and readers that read the whole directory see different members`);
  }

  // --- members: contiguous from offset 0 to the central directory; local = central ---
  const order = [...entries].sort((a, b) => a.localOffset - b.localOffset || a.index - b.index);
  // Local headers of small members lie close together: one read covers the next few of them
  // (up to HEADER_SPAN bytes); a header far from the previous one gets a read of its own.
  let win: Buffer = Buffer.alloc(0);
  let winStart = 0;
  const readHeader = (i: number, len: number): Buffer => {
    const at = order[i].localOffset;
    if (at < winStart || at + len > winStart + win.length) {
      let end = Math.min(at + len, cdOffset);
      for (let j = i + 1; j < order.length; j++) {
        const want = order[j].localOffset + 30 + order[j].rawName.length + 64;
        if (want - at > HEADER_SPAN || want > cdOffset) break;
        end = Math.max(end, want);
      }
      win = read(at, end - at);
      winStart = at;
    }
    return win.subarray(at - winStart, at - winStart + len);
  };
  let pos = 0;
  for (let i = 0; i < order.length; i++) {
    const m = order[i];
    const name = displayName(m.rawName, m.flags);
    if (m.localOffset !== pos) {
      fail(
        m.localOffset > pos
          ? `${m.localOffset - pos} byte(s) ${i === 0 ? "before the first member" : "between members"} (before ${name})`
          : `entry ${name} overlaps the previous member`,
        name,
      );
    }
    const next = i + 1 < order.length ? order[i + 1].localOffset : cdOffset;
    if (m.localOffset + 30 > cdOffset) fail(`entry ${name}: local header runs into the central directory`, name);
    const headLen = Math.min(30 + m.rawName.length + 64, cdOffset - m.localOffset);
    let h = readHeader(i, headLen);
    if (h.readUInt32LE(0) !== SIG_LOCAL) fail(`entry ${name}: bad local header signature`, name);
    const lNameLen = h.readUInt16LE(26);
    const lExtraLen = h.readUInt16LE(28);
    const lHeadLen = 30 + lNameLen + lExtraLen;
    if (m.localOffset + lHeadLen > cdOffset) fail(`entry ${name}: local header runs into the central directory`, name);
    if (lHeadLen > h.length) h = read(m.localOffset, lHeadLen);
    const lName = h.subarray(30, 30 + lNameLen);
    if (!lName.equals(m.rawName)) fail(`entry ${name}: the local header names ${JSON.stringify(displayName(lName, m.flags))}`, name);
    const lFlags = h.readUInt16LE(6);
    if (lFlags !== m.flags) fail(`entry ${name}: local header flags 0x${lFlags.toString(16)} differ from the central directory's 0x${m.flags.toString(16)}`, name);
    const lMethod = h.readUInt16LE(8);
    if (lMethod !== m.method) fail(`entry ${name}: local header compression method ${lMethod} differs from the central directory's ${m.method}`, name);
    const lExtras = parseExtras(h.subarray(30 + lNameLen, lHeadLen), "local", name);
    const lCrc = h.readUInt32LE(14);
    const lv = { usize: h.readUInt32LE(22), csize: h.readUInt32LE(18) };
    applyZip64(lExtras, lv, "local header", name);
    const descriptor = (m.flags & FLAG_DESCRIPTOR) !== 0;
    const localAgrees = lCrc === m.crc32 && lv.csize === m.compressedSize && lv.usize === m.uncompressedSize;
    const localZero = lCrc === 0 && lv.csize === 0 && lv.usize === 0;
    if (!localAgrees && !(descriptor && localZero)) {
      fail(`entry ${name}: the local header's CRC-32 or sizes differ from the central directory's`, name);
    }
    const dataEnd = m.localOffset + lHeadLen + m.compressedSize;
    if (dataEnd > next) fail(`entry ${name}: its data runs past the start of the next member or the central directory`, name);
    const gap = next - dataEnd;
    if (!descriptor) {
      if (gap !== 0) fail(`${gap} byte(s) after the data of ${name}`, name);
    } else {
      checkDescriptor(gap > 0 && gap <= 24 ? read(dataEnd, gap) : Buffer.alloc(0), gap, m, name);
    }
    pos = next;
  }
  if (order.length === 0 && cdOffset !== 0) fail(`${cdOffset} byte(s) before the central directory of an empty archive`);
  return { entries, cdOffset, cdSize, eocdOffset, zip64 };
}

/** A data descriptor must fill the gap exactly and repeat the central CRC-32 and sizes. */
function checkDescriptor(d: Buffer, gap: number, m: ZipLayoutEntry, name: string): void {
  const withSig = d.length >= 4 && d.readUInt32LE(0) === SIG_DESCRIPTOR;
  const body = withSig ? d.subarray(4) : d;
  let crc: number, csize: number, usize: number;
  if (body.length === 12) {
    crc = body.readUInt32LE(0);
    csize = body.readUInt32LE(4);
    usize = body.readUInt32LE(8);
  } else if (body.length === 20) {
    crc = body.readUInt32LE(0);
    csize = u64(body, 4, "descriptor size");
    usize = u64(body, 12, "descriptor size");
  } else {
    return fail(`entry ${name}: ${gap} byte(s) after its data are not a data descriptor`, name);
  }
  if (crc !== m.crc32 || csize !== m.compressedSize || usize !== m.uncompressedSize) {
    fail(`entry ${name}: the data descriptor's CRC-32 or sizes differ from the central directory's`, name);
  }
}

function duplicateNames(entries: ZipLayoutEntry[]): ZipLayoutProblem[] {
  const seen = new Map<string, string>();
  const out: ZipLayoutProblem[] = [];
  for (const m of entries) {
    const name = displayName(m.rawName, m.flags);
    const key = normalizedEntryKey(name);
    const prev = seen.get(key);
    if (prev !== undefined) {
      out.push({
        code: DUPLICATE_ENTRY,
        entry: name,
        why: prev === name ? `entry ${name} appears more than once` : `entries ${JSON.stringify(prev)} and ${JSON.stringify(name)} name the same file`,
      });
    } else seen.set(key, name);
  }
  return out;
}
