/**
 * z/OS file tags: parse `chtag -p`, `ls -T` and `ls -lT` output, and build chtag commands.
 *
 * Real output is fixed width (zos-uss.md §2), printf "%c %-12sT=%-3s %s":
 *   col 0 type (t text, b binary, m mixed, - untagged), col 2-13 code set name,
 *   col 14-18 "T=on " / "T=off", col 20- the path (chtag -p, ls -T) or the ls -l line (ls -lT).
 * `ls -lT` prints 20 blanks instead of the tag for directories. Paths may contain spaces, so
 * the path is everything from column 20; a whitespace-collapsed variant (as shown on some web
 * pages) is accepted as a fallback.
 */
import { chunks } from "../core/chunks";
import { ZwhError } from "../core/errors";

export type TagType = "t" | "b" | "m" | "-";

export interface FileTag {
  /** t = text, b = binary, m = mixed, - = untagged. */
  type: TagType;
  /** Code set name as printed ("ISO8859-1", "IBM-1047", "binary", "untagged", "UTF-8", ...). */
  codeset: string;
  /** Numeric CCSID when the name is a known one (0 for untagged). */
  ccsid?: number;
  /** T=on (txtflag). */
  txtflag: boolean;
}

export interface TagLine {
  /** undefined for the 20-blank prefix `ls -lT` prints for directories. */
  tag?: FileTag;
  /** The path (chtag -p, ls -T) or the rest of the ls -l line (ls -lT). */
  rest: string;
}

const NAME_TO_CCSID: Record<string, number> = {
  untagged: 0,
  "ISO8859-1": 819,
  "IBM-1047": 1047,
  "UTF-8": 1208,
  binary: 65535,
};
const CCSID_TO_NAME: Record<number, string> = Object.fromEntries(Object.entries(NAME_TO_CCSID).map(([k, v]) => [v, k]));

export function ccsidOf(codeset: string): number | undefined {
  if (/^\d+$/.test(codeset)) return Number(codeset);
  return NAME_TO_CCSID[codeset];
}

export function codesetName(ccsid: number): string {
  return CCSID_TO_NAME[ccsid] ?? String(ccsid);
}

function mkTag(type: string, codeset: string, t: string): FileTag {
  const tag: FileTag = { type: type as TagType, codeset, txtflag: t === "on" };
  const c = ccsidOf(codeset);
  if (c !== undefined) tag.ccsid = c;
  return tag;
}

const COLUMN = /^([tbm-]) (.{12})T=(on |off) (.*)$/s;
const LOOSE = /^([tbm-])\s+(\S+)\s+T=(on|off)\s+(.*)$/s;

/** Parse one output line. Returns undefined for lines that are not tag lines (e.g. "total 16"). */
export function parseTagLine(line: string): TagLine | undefined {
  const l = line.replace(/\r$/, "");
  if (/^ {20}\S/.test(l)) return { rest: l.slice(20) };
  let m = COLUMN.exec(l);
  if (m && /^\S+ *$/.test(m[2])) {
    return { tag: mkTag(m[1], m[2].trimEnd(), m[3].trim()), rest: m[4] };
  }
  m = LOOSE.exec(l);
  if (m) return { tag: mkTag(m[1], m[2], m[3]), rest: m[4] };
  return undefined;
}

/** Parse all tag lines of a command's output (other lines, like "total 8", are skipped). */
export function parseTagOutput(text: string): TagLine[] {
  const out: TagLine[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const p = parseTagLine(line);
    if (p) out.push(p);
  }
  return out;
}

/** The 19-character canonical form without the trailing separator, e.g. "t ISO8859-1   T=on". */
export function formatTag(tag: FileTag): string {
  return `${tag.type} ${tag.codeset.padEnd(12)}T=${tag.txtflag ? "on" : "off"}`;
}

function checkPaths(paths: readonly string[]): void {
  if (paths.length === 0) throw new ZwhError("ZWH-TAG-ARGS", "chtag needs at least one path");
  for (const p of paths) {
    if (p === "" || p.startsWith("-")) {
      throw new ZwhError("ZWH-TAG-ARGS", `refusing to pass path ${JSON.stringify(p)} to chtag/ls (empty or starts with '-')`, {
        subject: p, hint: "Use absolute paths.",
      });
    }
  }
}

export interface ChtagOptions {
  recursive?: boolean;
  /** -h: do not change symbolic links. */
  noFollow?: boolean;
}

/** argv for `chtag -t -c <codeset> [-R] [-h] paths...` (text, txtflag on). */
export function chtagTextArgv(paths: readonly string[], codeset = "ISO8859-1", o: ChtagOptions = {}): string[] {
  checkPaths(paths);
  return ["chtag", "-t", "-c", codeset, ...(o.recursive ? ["-R"] : []), ...(o.noFollow ? ["-h"] : []), ...paths];
}

/** argv for `chtag -b [-R] [-h] paths...` (binary: CCSID 65535, no conversion). */
export function chtagBinaryArgv(paths: readonly string[], o: ChtagOptions = {}): string[] {
  checkPaths(paths);
  return ["chtag", "-b", ...(o.recursive ? ["-R"] : []), ...(o.noFollow ? ["-h"] : []), ...paths];
}

/** argv for `chtag -r paths...` (remove the tag). */
export function chtagRemoveArgv(paths: readonly string[], o: ChtagOptions = {}): string[] {
  checkPaths(paths);
  return ["chtag", "-r", ...(o.recursive ? ["-R"] : []), ...(o.noFollow ? ["-h"] : []), ...paths];
}

/** argv for `chtag -p paths...`. */
export function chtagPrintArgv(paths: readonly string[]): string[] {
  checkPaths(paths);
  return ["chtag", "-p", ...paths];
}

/** argv for `ls -T paths...` (z/OS ls: tag prefix per file). */
export function lsTagArgv(paths: readonly string[]): string[] {
  checkPaths(paths);
  return ["ls", "-T", ...paths];
}

/**
 * argv of a POSIX shell test that prints `ls -T PATH` and exits 0 only when PATH is tagged text
 * ISO8859-1 with T=on (either listing form). It guards the next command of a `stopAtFailure`
 * batch in the same round trip; on failure its output goes to TargetOps.checkTagListing.
 */
export function textTagTestArgv(path: string): string[] {
  checkPaths([path]);
  const script = 'l=$(ls -T "$1") || exit 1; printf \'%s\\n\' "$l"; case "$l" in "t ISO8859-1 "*"T=on "*|"t 819 "*"T=on "*) exit 0;; esac; exit 1';
  return ["sh", "-c", script, "sh", path];
}

export function isTextTag(tag: FileTag | undefined, codeset = "ISO8859-1"): boolean {
  return !!tag && tag.type === "t" && tag.txtflag && (tag.codeset === codeset || tag.ccsid === ccsidOf(codeset));
}

export function isBinaryTag(tag: FileTag | undefined): boolean {
  return !!tag && tag.type === "b" && !tag.txtflag;
}

/** chtag commands (200 paths each) giving every file its intended tag: -b for wheels, -t -c ISO8859-1 for text. */
export function chtagCommands(files: ReadonlyArray<{ path: string; kind: "text" | "binary" }>): string[][] {
  const of = (kind: "text" | "binary") => chunks(files.filter((f) => f.kind === kind).map((f) => f.path), 200);
  return [...of("binary").map((c) => chtagBinaryArgv(c)), ...of("text").map((c) => chtagTextArgv(c, "ISO8859-1"))];
}

/** ZWH-DEPLOY-TAG for a chtag command that failed (nothing is written into an untagged file). */
export function chtagFailed(host: string, cmd: string[], code: number): ZwhError {
  return new ZwhError("ZWH-DEPLOY-TAG", `chtag failed on ${host} (exit ${code}); files are not written into untagged files`, {
    subject: host,
    details: { command: cmd.slice(0, 4) },
    hint: "Check that the install root is on a z/OS UNIX file system that supports file tags (zwh target probe shows 'Tagging').",
  });
}
