/**
 * Hand-built zip archives for the hostile-wheel suite (issue 8): zips that some readers see
 * differently from others. yazl (test/support/wheels.ts) only writes well-formed archives, so
 * these are written byte by byte here.
 *
 *   const ws = wheelEntries("demo", "1.0", { "demo/__init__.py": "x = 1\n" });   // valid members + RECORD
 *   const bytes = writeZip(ws);                                                   // a valid wheel
 *   writeZip(ws, { countOverride: 3 })                                            // lying end record
 *
 * Shapes (each returns the wheel's bytes; `hook` is the name of the `.pth` that must never run):
 *   appendedMembers  extra central entries after the ones the end record counts (yauzl reads the
 *                    counted ones, Python's zipfile reads the whole directory); with
 *                    `secondRecord` a second RECORD that lists the extra member (last one wins)
 *   concatenated     a benign wheel followed by an evil one whose central directory has the
 *                    same size, the end record pointing at the benign directory (zipfile
 *                    relocates from the end record's position and reads the evil members)
 */
import { createHash } from "node:crypto";
import * as zlib from "node:zlib";

export interface RawEntry {
  name: string;
  data: Buffer;
  /** 0 stored, 8 deflate (default 8). */
  method?: 0 | 8;
  flags?: number;
  /** Local header overrides (to make it disagree with the central directory). */
  local?: { name?: string; flags?: number; method?: number; crc?: number; csize?: number; usize?: number };
  /** Write a data descriptor after the data (sets flag bit 3, zeros in the local header). */
  descriptor?: boolean;
  /** Central-directory comment (used to pad a directory to a given size). */
  comment?: Buffer;
}

export interface ZipOptions {
  /** End-record entry count instead of the real number of central entries. */
  countOverride?: number;
  /** Only the first N central entries are counted by the end record (the rest follow). */
  countedEntries?: number;
  /** Bytes before the first local header (offsets NOT adjusted). */
  prepend?: Buffer;
  /** Bytes after the end record (comment length not adjusted). */
  append?: Buffer;
  /** Bytes inserted after member i's data (offsets adjusted, so the directory stays right). */
  gapAfter?: { index: number; bytes: Buffer };
  /** Added to the stated central-directory offset. */
  cdOffsetDelta?: number;
  /** Archive comment. */
  comment?: Buffer;
  /** Offset of the first local header in the final file (for concatenation): stored offsets start here. */
  base?: number;
  /** Subtracted from every stored local-header offset (see concatenated()). */
  offsetShift?: number;
}

export function crc32(buf: Buffer): number {
  let c: number;
  let crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

interface Built {
  members: Buffer;
  central: Buffer;
  count: number;
}

function build(entries: RawEntry[], o: ZipOptions): Built {
  const parts: Buffer[] = [];
  const cds: Buffer[] = [];
  let pos = o.base ?? 0;
  entries.forEach((e, i) => {
    const method = e.method ?? 8;
    const comp = method === 8 ? zlib.deflateRawSync(e.data) : e.data;
    const crc = crc32(e.data);
    const flags = (e.flags ?? 0x800) | (e.descriptor ? 0x8 : 0);
    const name = Buffer.from(e.name, "utf8");
    const lname = Buffer.from(e.local?.name ?? e.name, "utf8");
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(e.local?.flags ?? flags, 6);
    lh.writeUInt16LE(e.local?.method ?? method, 8);
    lh.writeUInt16LE(0, 10);
    lh.writeUInt16LE(0x5021, 12);
    lh.writeUInt32LE(e.local?.crc ?? (e.descriptor ? 0 : crc), 14);
    lh.writeUInt32LE(e.local?.csize ?? (e.descriptor ? 0 : comp.length), 18);
    lh.writeUInt32LE(e.local?.usize ?? (e.descriptor ? 0 : e.data.length), 22);
    lh.writeUInt16LE(lname.length, 26);
    lh.writeUInt16LE(0, 28);
    const offset = pos - (o.offsetShift ?? 0);
    const chunk = [lh, lname, comp];
    if (e.descriptor) {
      const d = Buffer.alloc(16);
      d.writeUInt32LE(0x08074b50, 0);
      d.writeUInt32LE(crc, 4);
      d.writeUInt32LE(comp.length, 8);
      d.writeUInt32LE(e.data.length, 12);
      chunk.push(d);
    }
    if (o.gapAfter && o.gapAfter.index === i) chunk.push(o.gapAfter.bytes);
    for (const c of chunk) {
      parts.push(c);
      pos += c.length;
    }
    const comment = e.comment ?? Buffer.alloc(0);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(0x031e, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(flags, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt16LE(0, 12);
    ch.writeUInt16LE(0x5021, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(comp.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt16LE(0, 30);
    ch.writeUInt16LE(comment.length, 32);
    ch.writeUInt16LE(0, 34);
    ch.writeUInt16LE(0, 36);
    ch.writeUInt32LE(((e.name.endsWith("/") ? 0o040755 : 0o100644) << 16) >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    cds.push(ch, name, comment);
  });
  return { members: Buffer.concat(parts), central: Buffer.concat(cds), count: entries.length };
}

function eocd(count: number, cdSize: number, cdOffset: number, comment: Buffer): Buffer {
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(count, 8);
  e.writeUInt16LE(count, 10);
  e.writeUInt32LE(cdSize, 12);
  e.writeUInt32LE(cdOffset, 16);
  e.writeUInt16LE(comment.length, 20);
  return Buffer.concat([e, comment]);
}

/** A zip of `entries` (central directory in the same order), with the given distortions. */
export function writeZip(entries: RawEntry[], o: ZipOptions = {}): Buffer {
  const b = build(entries, o);
  const cdOffset = (o.base ?? 0) + b.members.length;
  const count = o.countOverride ?? o.countedEntries ?? b.count;
  const end = eocd(count, b.central.length, cdOffset + (o.cdOffsetDelta ?? 0), o.comment ?? Buffer.alloc(0));
  return Buffer.concat([o.prepend ?? Buffer.alloc(0), b.members, b.central, end, o.append ?? Buffer.alloc(0)]);
}

function recordHash(d: Buffer): string {
  return `sha256=${createHash("sha256").update(d).digest("base64url")}`;
}

/** The members of a valid pure-Python wheel, RECORD last. */
export function wheelEntries(name: string, version: string, files: Record<string, string | Buffer>, opts: { unrecorded?: string[] } = {}): RawEntry[] {
  const di = `${name}-${version}.dist-info`;
  const all: Array<[string, Buffer]> = Object.entries(files).map(([n, d]) => [n, Buffer.isBuffer(d) ? d : Buffer.from(d)]);
  all.push([`${di}/METADATA`, Buffer.from(`Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n\n`)]);
  all.push([`${di}/WHEEL`, Buffer.from("Wheel-Version: 1.0\nGenerator: zwh-test-zips\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n")]);
  const record = recordText(di, all.filter(([n]) => !(opts.unrecorded ?? []).includes(n)));
  return [...all.map(([n, data]) => ({ name: n, data })), { name: `${di}/RECORD`, data: record }];
}

export function recordText(distInfo: string, files: Array<[string, Buffer]>): Buffer {
  return Buffer.from(files.map(([n, d]) => `${n},${recordHash(d)},${d.length}\n`).join("") + `${distInfo}/RECORD,,\n`);
}

/** A `.pth` whose import line writes `marker` when site processes it. */
export function markerPth(marker: string): Buffer {
  return Buffer.from(`import os; open(${JSON.stringify(marker)}, "w").write("hostile code ran\\n")\n`);
}

/**
 * Shape 1 and 2: `benign` entries counted by the end record, `extra` entries after them in the
 * directory (and their data after the benign members). With `secondRecord`, the last extra
 * entry is a second RECORD covering every member (the one Python's zipfile keeps).
 */
export function appendedMembers(name: string, version: string, files: Record<string, string | Buffer>, extra: Record<string, Buffer>, secondRecord: boolean): Buffer {
  const benign = wheelEntries(name, version, files);
  const more: RawEntry[] = Object.entries(extra).map(([n, data]) => ({ name: n, data }));
  if (secondRecord) {
    const di = `${name}-${version}.dist-info`;
    const list: Array<[string, Buffer]> = [...benign.filter((e) => !e.name.endsWith("/RECORD")), ...more].map((e) => [e.name, e.data]);
    more.push({ name: `${di}/RECORD`, data: recordText(di, list) });
  }
  return writeZip([...benign, ...more], { countedEntries: benign.length });
}

/**
 * Shape 3: benign wheel B followed by evil wheel E (same name and version). The final end
 * record points at B's directory (what yauzl reads); both directories have the same size, so
 * Python's zipfile, which locates the directory from the end record's POSITION, reads E's
 * directory (whose stored offsets are shifted so that zipfile's relocation lands on E's members).
 * B must be at least as large as E (pad `benignFiles`).
 */
export function concatenated(benign: RawEntry[], evil: RawEntry[]): Buffer {
  const pad = (list: RawEntry[], by: number) => {
    const last = list[list.length - 1];
    list[list.length - 1] = { ...last, comment: Buffer.concat([last.comment ?? Buffer.alloc(0), Buffer.alloc(by, 0x20)]) };
  };
  const b0 = build(benign, {});
  const e0 = build(evil, {});
  if (b0.central.length < e0.central.length) pad(benign, e0.central.length - b0.central.length);
  else if (e0.central.length < b0.central.length) pad(evil, b0.central.length - e0.central.length);
  const b = build(benign, {});
  const bCdOffset = b.members.length;
  const eBase = b.members.length + b.central.length;
  // zipfile: concat = (E directory position) - bCdOffset; real offset = stored + concat.
  const eMembersLen = build(evil, { base: eBase }).members.length;
  const concat = eBase + eMembersLen - bCdOffset;
  if (concat > eBase) throw new Error("the benign wheel must be at least as large as the evil one");
  const e = build(evil, { base: eBase, offsetShift: concat });
  if (b.central.length !== e.central.length) throw new Error("directory sizes differ");
  return Buffer.concat([b.members, b.central, e.members, e.central, eocd(b.count, b.central.length, bCdOffset, Buffer.alloc(0))]);
}
