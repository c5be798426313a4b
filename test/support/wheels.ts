/**
 * Test wheels: real, pip-installable wheels, and hostile variants of them.
 *
 *   const path = await buildWheel(dir, { name: "demo", version: "1.0" });
 *   // → <dir>/demo-1.0-py3-none-any.whl, installable with
 *   //   pip install --no-index --find-links <dir> demo==1.0
 *
 * What a normal wheel contains (all generated with yazl, deterministic bytes for equal input):
 *   - the payload `files` (default: `<name>/__init__.py` with `__version__`), in the given order;
 *   - `<dist>-<version>.dist-info/METADATA` (Metadata-Version 2.1; Name, Version, Requires-Python,
 *     Requires-Dist, Provides-Extra, License, plus `metadataExtraHeaders`);
 *   - `<dist>-<version>.dist-info/WHEEL` (`Wheel-Version: 1.0`, `Root-Is-Purelib: true`, one `Tag:`
 *     line per expanded tag);
 *   - `<dist>-<version>.dist-info/RECORD` last: `path,sha256=<urlsafe b64, no padding>,size` for
 *     every member, `RECORD,,` for itself.
 * `<dist>` is the name with runs of `-_.` replaced by `_`, lowercased (wheel spec).
 *
 * `extras: { security: ["cryptography>=3"] }` adds `Provides-Extra: security` and
 * `Requires-Dist: cryptography>=3; extra == "security"`.
 *
 * Hostile variants (`mutate`), each aimed at exactly one verifier refusal:
 *   tamperRecordHash   RECORD hash of a file is wrong          → ZWH-WHEEL-RECORD-MISMATCH
 *   tamperRecordSize   RECORD size of a file is wrong          → ZWH-WHEEL-RECORD-MISMATCH
 *   omitFromRecord     a file is not listed in RECORD          → ZWH-WHEEL-RECORD-MISSING-ENTRY
 *   extraRecordLine    RECORD lists a file not in the archive  → ZWH-WHEEL-RECORD-EXTRA-ENTRY
 *   weakHash           a file is hashed with md5               → ZWH-WHEEL-RECORD-WEAK-HASH
 *   traversalEntry     member named `../…`                     → ZWH-WHEEL-PATH-TRAVERSAL
 *   backslashEntry     member named `pkg\…`                    → ZWH-WHEEL-PATH-TRAVERSAL
 *   absoluteEntry      member named `/…`                       → ZWH-WHEEL-ABSOLUTE-PATH
 *   symlinkEntry       member with S_IFLNK mode                → ZWH-WHEEL-SYMLINK
 *   duplicateEntry     a member name appears twice             → ZWH-WHEEL-DUPLICATE-ENTRY
 *   bomb               highly compressible member (zeros)      → ZWH-WHEEL-BOMB
 *   localHeaderNameMismatch  local header names another file   → ZWH-WHEEL-CORRUPT
 *   truncate           cut N bytes off the end                 → ZWH-WHEEL-CORRUPT
 *   metadataName / metadataVersion  METADATA Name / Version differ from the filename
 *                                                              → ZWH-WHEEL-METADATA-MISMATCH
 *   noRecord / noMetadata / noWheelFile / secondDistInfo       → ZWH-WHEEL-DIST-INFO
 *   rawRecord          RECORD replaced by the given text       → e.g. ZWH-WHEEL-RECORD-INVALID
 *   metadataFormat     Metadata-Version override ("3.0")       → ZWH-METADATA-VERSION
 * `modes` sets a payload file's st_mode (a FIFO gives ZWH-WHEEL-SPECIAL-FILE).
 * Hostile members are listed in RECORD with correct hashes, so that only the intended check
 * fires. Names yazl refuses to write (`..`, absolute, backslash, duplicates) are written under
 * a same-length placeholder and patched in the finished archive bytes.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as yazl from "yazl";

export interface WheelMutations {
  /** Path (default: first payload file) whose RECORD hash is replaced by a wrong one. */
  tamperRecordHash?: boolean | string;
  tamperRecordSize?: boolean | string;
  omitFromRecord?: boolean | string;
  /** Extra RECORD line for a path that is not in the archive (default `<name>/ghost.py`). */
  extraRecordLine?: boolean | string;
  /** Hash this file (default: first payload file) with md5 in RECORD. */
  weakHash?: boolean | string;
  traversalEntry?: boolean | string;
  absoluteEntry?: boolean | string;
  backslashEntry?: boolean | string;
  symlinkEntry?: boolean | { name: string; target: string };
  /** Add a second member with this name (default: first payload file), different content. */
  duplicateEntry?: boolean | string;
  /** Add `<name>/bomb.bin` of this many zero bytes (default 4 MiB, ~1000:1 compressed). */
  bomb?: boolean | { size: number };
  localHeaderNameMismatch?: boolean;
  truncate?: number;
  metadataName?: string;
  metadataVersion?: string;
  /** Override Metadata-Version (e.g. "3.0"). */
  metadataFormat?: string;
  /** Override the dist-info directory name. */
  distInfoName?: string;
  /** Tag lines written in WHEEL instead of the filename's tags. */
  wheelTags?: string[];
  /** Replace the RECORD text entirely (e.g. malformed CSV). */
  rawRecord?: string;
  noRecord?: boolean;
  noMetadata?: boolean;
  noWheelFile?: boolean;
  secondDistInfo?: boolean;
}

export interface WheelSpec {
  name: string;
  version: string;
  /** Filename tag triple, possibly compressed (default "py3-none-any"). */
  tags?: string;
  build?: string;
  /** Payload files, relative to the wheel root. */
  files?: Record<string, string | Buffer>;
  requiresDist?: string[];
  requiresPython?: string;
  extras?: Record<string, string[]>;
  license?: string;
  /** Extra raw METADATA header lines ("Key: value"). */
  metadataExtraHeaders?: string[];
  /** Unix st_mode (type and permission bits) for payload files, e.g. 0o100755 or a FIFO 0o010644. */
  modes?: Record<string, number>;
  /** Deflate members (default true). */
  compress?: boolean;
  /** Write under this filename instead of the computed one. */
  filename?: string;
  mutate?: WheelMutations;
}

const MTIME = new Date(Date.UTC(2020, 0, 1, 0, 0, 0));

/** The wheel-spec escaping of a distribution name for filenames and dist-info directories. */
export function escapeDistName(name: string): string {
  return name.replace(/[-_.]+/g, "_").toLowerCase();
}

export function wheelFilenameFor(spec: Pick<WheelSpec, "name" | "version" | "tags" | "build">): string {
  const build = spec.build ? `-${spec.build}` : "";
  return `${escapeDistName(spec.name)}-${spec.version.replace(/-/g, "_")}${build}-${spec.tags ?? "py3-none-any"}.whl`;
}

export function recordHash(data: Buffer, algo = "sha256"): string {
  return `${algo}=${createHash(algo).update(data).digest("base64url")}`;
}

function csv(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function expand(tags: string): string[] {
  const [py, abi, plat] = tags.split("-").map((p) => p.split("."));
  const out: string[] = [];
  for (const p of py) for (const a of abi) for (const pl of plat) out.push(`${p}-${a}-${pl}`);
  return out;
}

interface Member {
  name: string;
  data: Buffer;
  mode?: number;
  /** The name actually written by yazl; patched to `name` afterwards when they differ. */
  placeholder?: string;
  inRecord: boolean;
  compress?: boolean;
}

let placeholderSeq = 0;
function placeholderFor(name: string): string {
  const len = Buffer.byteLength(name);
  const tag = `zwhph${(placeholderSeq++).toString(36)}q`;
  if (len < tag.length + 1) throw new Error(`hostile name ${name} is too short to patch (min ${tag.length + 1} bytes)`);
  return (tag + "x".repeat(len)).slice(0, len - 3) + ".py";
}

function pick(v: boolean | string | undefined, dflt: string): string | undefined {
  if (v === undefined || v === false) return undefined;
  return v === true ? dflt : v;
}

/** Build a wheel in `dir`; returns its path. See the module comment for options. */
export async function buildWheel(dir: string, spec: WheelSpec): Promise<string> {
  const mut = spec.mutate ?? {};
  const dist = escapeDistName(spec.name);
  const pkg = dist;
  const distInfo = mut.distInfoName ?? `${dist}-${spec.version.replace(/-/g, "_")}.dist-info`;
  const tags = spec.tags ?? "py3-none-any";
  const files = spec.files ?? { [`${pkg}/__init__.py`]: `__version__ = "${spec.version}"\n` };
  const members: Member[] = Object.entries(files).map(([name, data]) => ({
    name,
    data: Buffer.isBuffer(data) ? data : Buffer.from(data, "utf8"),
    inRecord: true,
    mode: spec.modes?.[name],
  }));
  const firstPayload = members[0]?.name ?? `${pkg}/__init__.py`;

  // --- hostile payload members ---
  const traversal = pick(mut.traversalEntry, "../../zwh_evil_traversal.py");
  if (traversal) members.push({ name: traversal, data: Buffer.from("print('escaped')\n"), inRecord: true, placeholder: placeholderFor(traversal) });
  const absolute = pick(mut.absoluteEntry, "/tmp/zwh_evil_absolute.py");
  if (absolute) members.push({ name: absolute, data: Buffer.from("print('absolute')\n"), inRecord: true, placeholder: placeholderFor(absolute) });
  const backslash = pick(mut.backslashEntry, `${pkg}\\..\\zwh_evil_backslash.py`);
  if (backslash) members.push({ name: backslash, data: Buffer.from("print('backslash')\n"), inRecord: true, placeholder: placeholderFor(backslash) });
  if (mut.symlinkEntry) {
    const s = mut.symlinkEntry === true ? { name: `${pkg}/link_to_passwd`, target: "/etc/passwd" } : mut.symlinkEntry;
    members.push({ name: s.name, data: Buffer.from(s.target), mode: 0o120777, inRecord: true });
  }
  const dup = pick(mut.duplicateEntry, firstPayload);
  if (dup) members.push({ name: dup, data: Buffer.from("print('the other copy')\n"), inRecord: false, placeholder: placeholderFor(dup) });
  if (mut.bomb) {
    const size = mut.bomb === true ? 4 * 1024 * 1024 : mut.bomb.size;
    members.push({ name: `${pkg}/bomb.bin`, data: Buffer.alloc(size), inRecord: true, compress: true });
  }
  const mismatchName = mut.localHeaderNameMismatch ? `${pkg}/zwh_local_a.py` : undefined;
  if (mismatchName) members.push({ name: mismatchName, data: Buffer.from("x = 1\n"), inRecord: true });

  // --- dist-info ---
  const md: string[] = [`Metadata-Version: ${mut.metadataFormat ?? "2.1"}`, `Name: ${mut.metadataName ?? spec.name}`, `Version: ${mut.metadataVersion ?? spec.version}`];
  if (spec.license) md.push(`License: ${spec.license}`);
  if (spec.requiresPython) md.push(`Requires-Python: ${spec.requiresPython}`);
  for (const r of spec.requiresDist ?? []) md.push(`Requires-Dist: ${r}`);
  for (const [extra, reqs] of Object.entries(spec.extras ?? {})) {
    md.push(`Provides-Extra: ${extra}`);
    for (const r of reqs) md.push(`Requires-Dist: ${r.includes(";") ? `${r} and extra == "${extra}"` : `${r}; extra == "${extra}"`}`);
  }
  md.push(...(spec.metadataExtraHeaders ?? []));
  const metadata = md.join("\n") + "\n\n" + `${spec.name} test wheel built by test/support/wheels.ts.\n`;
  const wheelTags = mut.wheelTags ?? expand(tags);
  const wheelFile = ["Wheel-Version: 1.0", "Generator: zwh-test-support (1.0)", "Root-Is-Purelib: true", ...wheelTags.map((t) => `Tag: ${t}`)].join("\n") + "\n\n";
  if (!mut.noMetadata) members.push({ name: `${distInfo}/METADATA`, data: Buffer.from(metadata), inRecord: true });
  if (!mut.noWheelFile) members.push({ name: `${distInfo}/WHEEL`, data: Buffer.from(wheelFile), inRecord: true });
  if (mut.secondDistInfo) members.push({ name: `zwh_other-1.0.dist-info/METADATA`, data: Buffer.from("Metadata-Version: 2.1\nName: zwh-other\nVersion: 1.0\n\n"), inRecord: true });

  // --- RECORD ---
  const lines: string[] = [];
  const tamperHash = pick(mut.tamperRecordHash, firstPayload);
  const tamperSize = pick(mut.tamperRecordSize, firstPayload);
  const omit = pick(mut.omitFromRecord, firstPayload);
  const weak = pick(mut.weakHash, firstPayload);
  for (const m of members) {
    if (!m.inRecord || m.name === omit) continue;
    let hash = recordHash(m.data);
    if (m.name === tamperHash) hash = recordHash(Buffer.concat([m.data, Buffer.from("tampered")]));
    if (m.name === weak) hash = recordHash(m.data, "md5");
    const size = m.name === tamperSize ? m.data.length + 1 : m.data.length;
    lines.push(`${csv(m.name)},${hash},${size}`);
  }
  const ghost = pick(mut.extraRecordLine, `${pkg}/ghost.py`);
  if (ghost) lines.push(`${csv(ghost)},${recordHash(Buffer.from("ghost"))},5`);
  lines.push(`${csv(`${distInfo}/RECORD`)},,`);
  const recordText = mut.rawRecord ?? lines.join("\n") + "\n";
  if (!mut.noRecord) members.push({ name: `${distInfo}/RECORD`, data: Buffer.from(recordText), inRecord: false });

  // --- zip ---
  const zip = new yazl.ZipFile();
  for (const m of members) {
    zip.addBuffer(m.data, m.placeholder ?? m.name, {
      mtime: MTIME,
      compress: m.compress ?? spec.compress ?? true,
      ...(m.mode !== undefined ? { mode: m.mode } : {}),
    });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  let bytes: Buffer = Buffer.concat(chunks);

  for (const m of members) {
    if (!m.placeholder) continue;
    bytes = patchAll(bytes, m.placeholder, m.name, 2);
  }
  if (mismatchName) {
    // Only the local header (the first occurrence) gets another name; the central directory keeps the original.
    const other = mismatchName.replace("zwh_local_a", "zwh_local_b");
    const at = bytes.indexOf(Buffer.from(mismatchName));
    Buffer.from(other).copy(bytes, at);
  }
  if (mut.truncate) bytes = bytes.subarray(0, Math.max(0, bytes.length - mut.truncate));

  await mkdir(dir, { recursive: true });
  const out = join(dir, spec.filename ?? wheelFilenameFor(spec));
  await writeFile(out, bytes);
  return out;
}

/** Replace every occurrence of `from` by the same-length `to`; insist on `expected` hits. */
function patchAll(buf: Buffer, from: string, to: string, expected: number): Buffer {
  const a = Buffer.from(from);
  const b = Buffer.from(to);
  if (a.length !== b.length) throw new Error("placeholder length mismatch");
  let hits = 0;
  for (let i = buf.indexOf(a); i >= 0; i = buf.indexOf(a, i + a.length)) {
    b.copy(buf, i);
    hits++;
  }
  if (hits !== expected) throw new Error(`expected ${expected} occurrences of ${from}, found ${hits}`);
  return buf;
}

/** Build several wheels in `dir` (same options as buildWheel) and return their paths. */
export async function buildWheels(dir: string, specs: WheelSpec[]): Promise<string[]> {
  const out: string[] = [];
  for (const s of specs) out.push(await buildWheel(dir, s));
  return out;
}
