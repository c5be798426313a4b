/**
 * Zip entry names: decoding and validation.
 *
 * pip extracts wheels with Python's zipfile, which decodes names as UTF-8 when flag bit 11 is
 * set and as cp437 otherwise, and ignores the Info-ZIP Unicode Path extra field (0x7075). A
 * name that two zip readers could decode differently is refused rather than guessed at, so the
 * name we validate is the name pip will write.
 */
import type { Entry } from "yauzl";

export type NameProblemCode = "ZWH-WHEEL-ABSOLUTE-PATH" | "ZWH-WHEEL-PATH-TRAVERSAL" | "ZWH-WHEEL-ENTRY-NAME";

export interface NameProblem {
  code: NameProblemCode;
  why: string;
}

const UTF8_FLAG = 0x800;
const UNICODE_PATH_EXTRA = 0x7075;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decode an entry name read with decodeStrings:false. Returns the name or a problem. */
export function decodeEntryName(entry: Pick<Entry, "generalPurposeBitFlag" | "extraFields"> & { fileNameRaw: Buffer }): { name: string; problem?: NameProblem } {
  const raw = entry.fileNameRaw;
  let name: string;
  if (entry.generalPurposeBitFlag & UTF8_FLAG) {
    try {
      name = utf8.decode(raw);
    } catch {
      return { name: raw.toString("latin1"), problem: { code: "ZWH-WHEEL-ENTRY-NAME", why: "name is flagged UTF-8 but is not valid UTF-8" } };
    }
  } else {
    name = raw.toString("latin1");
    if (raw.some((b) => b >= 0x80)) {
      // cp437 vs latin-1 vs "guess UTF-8": readers disagree, so refuse.
      return { name, problem: { code: "ZWH-WHEEL-ENTRY-NAME", why: "non-ASCII name without the UTF-8 flag (readers would decode it differently)" } };
    }
  }
  for (const ef of entry.extraFields ?? []) {
    if (ef.id !== UNICODE_PATH_EXTRA || ef.data.length < 6) continue;
    let alt: string;
    try {
      alt = utf8.decode(ef.data.subarray(5));
    } catch {
      alt = "";
    }
    if (alt !== name) {
      return { name, problem: { code: "ZWH-WHEEL-ENTRY-NAME", why: `Info-ZIP Unicode Path field says "${alt}" but the name is "${name}"` } };
    }
  }
  return { name };
}

/**
 * Validate a decoded entry name: relative, `/`-separated, no `..`, `.` or empty segments, no
 * backslash, NUL or control characters. Directory entries end with one `/`.
 */
export function checkEntryName(name: string): NameProblem | undefined {
  if (name === "") return { code: "ZWH-WHEEL-ENTRY-NAME", why: "empty entry name" };
  if (name.includes("\0")) return { code: "ZWH-WHEEL-PATH-TRAVERSAL", why: "NUL byte in entry name (Python's zipfile truncates the name there)" };
  if (name.startsWith("/")) return { code: "ZWH-WHEEL-ABSOLUTE-PATH", why: "absolute path" };
  if (/^[A-Za-z]:/.test(name)) return { code: "ZWH-WHEEL-ABSOLUTE-PATH", why: "drive-letter path" };
  if (name.includes("\\")) return { code: "ZWH-WHEEL-PATH-TRAVERSAL", why: "backslash in entry name" };
  const body = name.endsWith("/") ? name.slice(0, -1) : name;
  const segments = body.split("/");
  if (segments.includes("..")) return { code: "ZWH-WHEEL-PATH-TRAVERSAL", why: '".." path segment' };
  if (segments.some((s) => s === "" || s === ".")) return { code: "ZWH-WHEEL-ENTRY-NAME", why: "empty or '.' path segment" };
  if (/[\x00-\x1f\x7f]/.test(name)) return { code: "ZWH-WHEEL-ENTRY-NAME", why: "control character in entry name" };
  return undefined;
}

/** Unix file type from the external attributes (upper 16 bits hold st_mode). */
export function unixFileType(externalFileAttributes: number): number {
  return ((externalFileAttributes >>> 16) & 0o170000) >>> 0;
}

export const S_IFLNK = 0o120000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
