/**
 * `bundle pack` / `bundle unpack`: a bundle directory as one POSIX ustar archive, for carrying
 * it across an air gap. Minimal reader and writer written here so that every entry is decided
 * by us (supply-chain.md §12: extraction libraries differ in what they silently "fix"):
 *
 *  - pack writes directories and regular files only, sorted, with mode 0644/0755, uid/gid 0,
 *    mtime 0 (equal bundles give equal archives); names longer than ustar allows use a pax
 *    `path` record.
 *  - unpack refuses, before anything is created under --out: absolute names, `..`, `.` or empty
 *    segments, backslashes, NUL (ZWH-BUNDLE-TAR-UNSAFE-PATH); symlinks, hard links, devices,
 *    FIFOs (ZWH-BUNDLE-TAR-LINK); the same path twice (ZWH-BUNDLE-TAR-DUPLICATE); bad
 *    checksums, truncation, unknown entry types, over-size archives (ZWH-BUNDLE-TAR-INVALID).
 *    It reads the archive twice (validate everything, then extract into a temporary sibling
 *    directory with O_EXCL files) and renames the result into place; --out must not exist.
 * The result of unpack is not trusted: run `bundle verify` on it.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { refusal, ZwhError } from "../core/errors";
import { BUNDLE } from "./codes";
import { bundleIoError, TreeEntry, walkTree } from "./files";
import { openInputFile } from "../io/input-file";

const BLOCK = 512;

export interface TarLimits {
  maxEntries: number;
  maxTotalBytes: number;
}
export const DEFAULT_TAR_LIMITS: TarLimits = { maxEntries: 100_000, maxTotalBytes: 64 * 1024 ** 3 };

// ------------------------------------------------------------------------------------ writer

function octal(n: number, width: number): string {
  const s = n.toString(8);
  if (s.length > width - 1) throw new ZwhError(BUNDLE.TAR_INVALID, `value ${n} does not fit a ${width}-byte tar field`);
  return s.padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number, type: "0" | "5" | "x", mode: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, "utf8");
  h.write(octal(mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii");
  h.write(octal(0, 8), 116, "ascii");
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(0, 12), 136, "ascii");
  h.write("        ", 148, "ascii");
  h.write(type, 156, "ascii");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + " ", 148, "ascii");
  return h;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`, "utf8");
}

function pad(n: number): Buffer {
  return Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK, 0);
}

function entryHeaders(name: string, size: number, type: "0" | "5", mode: number): Buffer[] {
  if (Buffer.byteLength(name) <= 100) return [header(name, size, type, mode)];
  const rec = paxRecord("path", name);
  const short = `PaxHeaders/${crypto.createHash("sha256").update(name).digest("hex").slice(0, 32)}`;
  return [header(short, rec.length, "x", 0o644), rec, pad(rec.length), header(short, size, type, mode)];
}

/** Pack a bundle directory into a tar file (written to a temp file, then renamed). */
export async function packBundle(dirArg: string, outFile: string): Promise<{ file: string; entries: number; bytes: number; sha256: string }> {
  const dir = path.resolve(dirArg);
  let tree: TreeEntry[];
  try {
    tree = walkTree(dir);
  } catch (e) {
    throw bundleIoError(`cannot read bundle ${dir}`, dir, e);
  }
  const special = tree.find((it) => it.kind === "special");
  if (special) {
    throw refusal(BUNDLE.SPECIAL_FILE, `${special.rel} in ${dir} is a symbolic link or special file; bundles hold regular files only`, { subject: special.rel });
  }
  const items = tree.map((it) => ({ rel: it.rel, dir: it.kind === "dir", size: it.size }));
  const out = path.resolve(outFile);
  if (fs.existsSync(out)) throw new ZwhError(BUNDLE.EXISTS, `${out} already exists`, { subject: out, hint: "Choose another --out file." });
  const tmp = `${out}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  const hash = crypto.createHash("sha256");
  let bytes = 0;
  const fd = fs.openSync(tmp, "wx", 0o644);
  const write = (b: Buffer) => {
    if (!b.length) return;
    fs.writeSync(fd, b);
    hash.update(b);
    bytes += b.length;
  };
  try {
    for (const it of items) {
      for (const h of entryHeaders(it.dir ? `${it.rel}/` : it.rel, it.size, it.dir ? "5" : "0", it.dir ? 0o755 : 0o644)) write(h);
      if (it.dir) continue;
      const src = fs.openSync(path.join(dir, it.rel), "r");
      try {
        const buf = Buffer.allocUnsafe(1024 * 1024);
        let left = it.size;
        let pos = 0;
        while (left > 0) {
          const n = fs.readSync(src, buf, 0, Math.min(buf.length, left), pos);
          if (n === 0) throw new ZwhError(BUNDLE.IO, `${it.rel} shrank while being packed`, { subject: it.rel });
          write(buf.subarray(0, n));
          left -= n;
          pos += n;
        }
      } finally {
        fs.closeSync(src);
      }
      write(pad(it.size));
    }
    write(Buffer.alloc(BLOCK * 2, 0));
    fs.closeSync(fd);
    fs.renameSync(tmp, out);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      /* closed */
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return { file: out, entries: items.length, bytes, sha256: hash.digest("hex") };
}

// ------------------------------------------------------------------------------------ reader

export interface TarEntry {
  name: string;
  type: "file" | "dir";
  size: number;
  /** Offset of the data in the archive. */
  offset: number;
}

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString("utf8");
}

function parseOctal(b: Buffer, what: string, archive: string): number {
  if (b[0] & 0x80) throw invalid(archive, `${what} uses base-256 encoding (over 8 GiB), which is not supported`);
  const s = cstr(b).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw invalid(archive, `${what} field "${s}" is not octal`);
  return parseInt(s, 8);
}

function invalid(archive: string, why: string): ZwhError {
  return refusal(BUNDLE.TAR_INVALID, `${archive}: ${why}`, { subject: archive, hint: "The archive is damaged or was not written by 'zwh bundle pack'." });
}

/** Why a tar member name is unsafe to extract, if it is. */
export function unsafeTarName(name: string): string | undefined {
  if (name === "") return "empty name";
  if (name.includes("\0")) return "NUL in name";
  if (name.includes("\\")) return "backslash in name";
  if (name.startsWith("/")) return "absolute path";
  if (/^[A-Za-z]:/.test(name)) return "drive-letter path";
  const parts = name.replace(/\/$/, "").split("/");
  if (parts.some((p) => p === "..")) return "'..' path segment";
  if (parts.some((p) => p === "." || p === "")) return "empty or '.' path segment";
  return undefined;
}

function parsePax(data: Buffer, archive: string): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) throw invalid(archive, "malformed pax header");
    const len = Number(data.subarray(pos, sp).toString("ascii"));
    if (!Number.isSafeInteger(len) || len <= 0 || pos + len > data.length || data[pos + len - 1] !== 0x0a) throw invalid(archive, "malformed pax record");
    const rec = data.subarray(sp + 1, pos + len - 1).toString("utf8");
    const eq = rec.indexOf("=");
    if (eq < 0) throw invalid(archive, "malformed pax record");
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

function openTar(file: string, limits: TarLimits): { fd: number; size: number } {
  // Headers and padding on top of the content limit: one 512-byte header per entry, plus slack.
  const maxBytes = limits.maxTotalBytes + (limits.maxEntries + 4) * 2 * BLOCK;
  return openInputFile(file, { what: "bundle archive", maxBytes, ioError: (e) => bundleIoError(`cannot read ${file}`, file, e) });
}

/** Validate every header of the archive and list its entries; throws the first refusal. */
export function listTar(file: string, limits: TarLimits = DEFAULT_TAR_LIMITS): TarEntry[] {
  const archive = path.basename(file);
  // Regular file checked on the open descriptor, without blocking on a FIFO (src/io/input-file.ts).
  const { fd, size } = openTar(file, limits);
  try {
    const entries: TarEntry[] = [];
    const seen = new Set<string>();
    const h = Buffer.alloc(BLOCK);
    let pos = 0;
    let total = 0;
    let pending: { path?: string; size?: number } = {};
    const read = (buf: Buffer, at: number) => {
      if (at + buf.length > size) throw invalid(archive, "archive is truncated");
      let got = 0;
      while (got < buf.length) {
        const n = fs.readSync(fd, buf, got, buf.length - got, at + got);
        if (n === 0) throw invalid(archive, "archive is truncated");
        got += n;
      }
    };
    for (;;) {
      read(h, pos);
      if (h.every((b) => b === 0)) {
        // End of archive: two zero blocks (be lenient about the second, as GNU tar is).
        break;
      }
      const stored = parseOctal(h.subarray(148, 156), "checksum", archive);
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
      if (sum !== stored) throw invalid(archive, `bad header checksum at offset ${pos}`);
      const magic = h.subarray(257, 263).toString("latin1");
      if (!magic.startsWith("ustar")) throw invalid(archive, `entry at offset ${pos} is not a ustar header`);
      const type = String.fromCharCode(h[156] || 0x30);
      let name = cstr(h.subarray(0, 100));
      const prefix = cstr(h.subarray(345, 500));
      if (prefix) name = `${prefix}/${name}`;
      let esize = parseOctal(h.subarray(124, 136), "size", archive);
      const dataAt = pos + BLOCK;
      const next = dataAt + Math.ceil(esize / BLOCK) * BLOCK;
      if (dataAt + esize > size) throw invalid(archive, `entry ${JSON.stringify(name)} runs past the end of the archive`);
      if (type === "x" || type === "L") {
        if (esize > 1024 * 1024) throw invalid(archive, "extended header too large");
        const data = Buffer.alloc(esize);
        read(data, dataAt);
        if (type === "x") {
          const pax = parsePax(data, archive);
          if (pax.path !== undefined) pending.path = pax.path;
          if (pax.size !== undefined) {
            if (!/^\d+$/.test(pax.size)) throw invalid(archive, "pax size is not a number");
            pending.size = Number(pax.size);
          }
          if (pax.linkpath !== undefined) throw refusal(BUNDLE.TAR_LINK, `${archive}: entry with a link target (${pax.linkpath})`, { subject: pax.linkpath });
        } else pending.path = cstr(data);
        pos = next;
        continue;
      }
      if (pending.path !== undefined) name = pending.path;
      if (pending.size !== undefined) esize = pending.size;
      pending = {};
      const shown = JSON.stringify(name);
      if (type === "1" || type === "2") {
        throw refusal(BUNDLE.TAR_LINK, `${archive}: ${shown} is a ${type === "1" ? "hard link" : "symbolic link"} (to ${JSON.stringify(cstr(h.subarray(157, 257)))}); bundles hold regular files only`, {
          subject: name, hint: "Links could make extraction write outside the output directory; repack the bundle with 'zwh bundle pack'.",
        });
      }
      if (type === "3" || type === "4" || type === "6" || type === "7") {
        throw refusal(BUNDLE.TAR_LINK, `${archive}: ${shown} is a device, FIFO or contiguous file; bundles hold regular files only`, { subject: name });
      }
      if (type !== "0" && type !== "5") throw invalid(archive, `${shown} has unsupported entry type '${type}'`);
      const problem = unsafeTarName(name);
      if (problem) {
        throw refusal(BUNDLE.TAR_UNSAFE_PATH, `${archive}: entry ${shown} is unsafe (${problem})`, {
          subject: name, hint: "The archive tries to write outside its output directory; do not use it.",
        });
      }
      const key = name.replace(/\/$/, "");
      if (seen.has(key)) throw refusal(BUNDLE.TAR_DUPLICATE, `${archive}: ${shown} appears more than once`, { subject: name, hint: "A duplicated entry would overwrite an earlier one; the archive is ambiguous." });
      seen.add(key);
      if (entries.length >= limits.maxEntries) throw invalid(archive, `more than ${limits.maxEntries} entries`);
      total += esize;
      if (total > limits.maxTotalBytes) throw invalid(archive, `contents exceed ${limits.maxTotalBytes} bytes`);
      entries.push({ name: key, type: type === "5" ? "dir" : "file", size: type === "5" ? 0 : esize, offset: dataAt });
      pos = type === "5" ? dataAt + Math.ceil(esize / BLOCK) * BLOCK : dataAt + Math.ceil(esize / BLOCK) * BLOCK;
    }
    // A file may not also be used as a directory (a/b after file a).
    const filesSet = new Set(entries.filter((e) => e.type === "file").map((e) => e.name));
    for (const e of entries) {
      const parts = e.name.split("/");
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join("/");
        if (filesSet.has(parent)) throw refusal(BUNDLE.TAR_UNSAFE_PATH, `${archive}: ${e.name} is below ${parent}, which is a file`, { subject: e.name });
      }
    }
    return entries;
  } finally {
    fs.closeSync(fd);
  }
}

/** Unpack a bundle archive into a new directory (see the module comment). */
export async function unpackBundle(file: string, outDir: string, limits: TarLimits = DEFAULT_TAR_LIMITS): Promise<{ dir: string; entries: TarEntry[] }> {
  const out = path.resolve(outDir);
  if (fs.existsSync(out)) throw new ZwhError(BUNDLE.EXISTS, `${out} already exists`, { subject: out, hint: "Unpack into a new directory." });
  const entries = listTar(file, limits);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
  fs.mkdirSync(tmp, { mode: 0o755 });
  const { fd } = openTar(file, limits);
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (const e of entries) {
      const target = path.join(tmp, ...e.name.split("/"));
      // Belt and braces: the validated name cannot leave tmp.
      if (!target.startsWith(tmp + path.sep)) throw refusal(BUNDLE.TAR_UNSAFE_PATH, `entry ${e.name} escapes the output directory`, { subject: e.name });
      if (e.type === "dir") {
        fs.mkdirSync(target, { recursive: true, mode: 0o755 });
        continue;
      }
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
      const w = fs.openSync(target, "wx", 0o644);
      try {
        let left = e.size;
        let pos = e.offset;
        while (left > 0) {
          const n = fs.readSync(fd, buf, 0, Math.min(buf.length, left), pos);
          if (n === 0) throw invalid(path.basename(file), "archive is truncated");
          fs.writeSync(w, buf, 0, n);
          left -= n;
          pos += n;
        }
      } finally {
        fs.closeSync(w);
      }
    }
    fs.closeSync(fd);
    if (fs.existsSync(out)) throw new ZwhError(BUNDLE.EXISTS, `${out} already exists`, { subject: out });
    fs.renameSync(tmp, out);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      /* closed */
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir: out, entries };
}
