/**
 * The one way Wheelhouse reads a local file it was given (bundle manifests and signatures, trust
 * files, target environments, requirement and deny lists, keys, known_hosts, profile files...).
 *
 * Every such file is untrusted input: a FIFO would block a plain read forever and a link to
 * /dev/zero would grow the process to gigabytes. So the file is opened without blocking
 * (O_NONBLOCK: opening a FIFO returns at once), checked with fstat on the open descriptor (no race
 * with a rename between check and read) to be a regular file, and read with a size cap before any
 * parser sees a byte. /dev/null is accepted as an empty file.
 */
import * as fs from "node:fs";
import { ZwhError } from "../core/errors";

export const INPUT = {
  NOT_REGULAR: "ZWH-INPUT-NOT-REGULAR",
  TOO_LARGE: "ZWH-INPUT-TOO-LARGE",
  IO: "ZWH-INPUT-IO",
} as const;

const MiB = 1024 * 1024;

/** Size caps by kind of file; generous for real files, small enough that a hostile one cannot hurt. */
export const INPUT_LIMITS = {
  /** Keys, signatures, trust files, the rollback state. */
  small: 1 * MiB,
  /** Probe/target-env JSON, requirement and deny lists, known_hosts, profile and settings files. */
  document: 16 * MiB,
  /** A bundle's statement or DSSE envelope (one entry per wheel and member list). */
  manifest: 64 * MiB,
} as const;

export interface ReadInputOptions {
  /** What the file is, for messages: "trust file", "--target-env", "manifest.dsse.json". */
  what: string;
  /** Largest accepted size in bytes (default INPUT_LIMITS.document). */
  maxBytes?: number;
  /**
   * The error for a failed open or read (ENOENT, EACCES...). Default: ZWH-INPUT-IO naming the
   * file. Callers with their own code for an unreadable file (ZWH-TRUST-READ...) pass it here.
   */
  ioError?: (e: NodeJS.ErrnoException) => ZwhError;
}

function errnoOf(e: unknown): string {
  const x = e as NodeJS.ErrnoException;
  return x.code ?? x.message ?? String(e);
}

function defaultIoError(file: string, what: string): (e: NodeJS.ErrnoException) => ZwhError {
  return (e) =>
    new ZwhError(INPUT.IO, `cannot read ${what} ${file}: ${errnoOf(e)}`, {
      subject: file,
      hint: e.code === "ENOENT" ? "Check the path." : "Check the path and its permissions.",
      cause: e,
    });
}

function isDevNull(st: fs.Stats): boolean {
  if (!st.isCharacterDevice()) return false;
  try {
    const nul = fs.statSync("/dev/null");
    return nul.isCharacterDevice() && nul.rdev === st.rdev;
  } catch {
    return false;
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Open FILE for reading without blocking and check that it is a regular file no larger than
 * maxBytes. Returns the descriptor and size; the caller closes it. For streaming readers (tar,
 * wheels) that must not block on a FIFO either.
 */
export function openInputFile(file: string, opts: ReadInputOptions): { fd: number; size: number } {
  const max = opts.maxBytes ?? INPUT_LIMITS.document;
  let fd: number;
  try {
    // O_NOCTTY: a terminal given as a file must not become our controlling terminal.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (e) {
    throw (opts.ioError ?? defaultIoError(file, opts.what))(e as NodeJS.ErrnoException);
  }
  try {
    const st = fs.fstatSync(fd);
    // /dev/null is the usual way to say "an empty file" (e.g. --known-hosts /dev/null): it reads
    // as end of file at once, so it is the one device accepted.
    if (isDevNull(st)) return { fd, size: 0 };
    if (!st.isFile()) {
      throw new ZwhError(INPUT.NOT_REGULAR, `${opts.what} ${file} is ${kindOf(st)}, not a regular file`, {
        subject: file,
        hint: "Give the path of a regular file. FIFOs, devices, sockets and directories are refused (a link to one counts as what it points to).",
      });
    }
    if (st.size > max) throw tooLarge(file, opts.what, max, st.size);
    return { fd, size: st.size };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

function tooLarge(file: string, what: string, max: number, size?: number): ZwhError {
  return new ZwhError(INPUT.TOO_LARGE, `${what} ${file} is larger than the ${max} bytes accepted${size !== undefined ? ` (${size} bytes)` : ""}`, {
    subject: file,
    hint: "Check that this is the right file; no genuine file of this kind is that large.",
    details: { maxBytes: max, ...(size !== undefined ? { size } : {}) },
  });
}

/** The bytes of a regular file of at most maxBytes (see the module comment). */
export function readInputFile(file: string, opts: ReadInputOptions): Buffer {
  const max = opts.maxBytes ?? INPUT_LIMITS.document;
  const { fd, size } = openInputFile(file, opts);
  try {
    // Read to end of file, not just the fstat size: a file that grows meanwhile is refused at
    // the cap, never cut short.
    const parts: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(Math.min(size, 1024 * 1024) + 1);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        throw (opts.ioError ?? defaultIoError(file, opts.what))(e as NodeJS.ErrnoException);
      }
      if (n === 0) return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
      total += n;
      if (total > max) throw tooLarge(file, opts.what, max);
      parts.push(Buffer.from(chunk.subarray(0, n)));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** readInputFile as UTF-8 text. */
export function readInputText(file: string, opts: ReadInputOptions): string {
  return readInputFile(file, opts).toString("utf8");
}

/** readInputFile, or undefined when the file does not exist (a dangling link included). */
export function readOptionalInput(file: string, opts: ReadInputOptions): Buffer | undefined {
  const missing = Symbol("missing");
  try {
    return readInputFile(file, {
      ...opts,
      ioError: (e) => {
        if (e.code === "ENOENT") throw missing;
        return (opts.ioError ?? defaultIoError(file, opts.what))(e);
      },
    });
  } catch (e) {
    if (e === missing) return undefined;
    throw e;
  }
}
