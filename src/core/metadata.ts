/**
 * Core metadata (`*.dist-info/METADATA`) and the `WHEEL` file.
 *
 * Both use the RFC 822 header format as Python's `email.parser` (compat32 policy) reads it:
 *  - `Name: value` lines; names are case-insensitive and may repeat (Requires-Dist,
 *    Classifier, Provides-Extra ...);
 *  - a line starting with a space or tab continues the previous header;
 *  - the first empty line ends the headers, the rest is the body (the long description when
 *    there is no Description header);
 *  - a non-header line inside the header block also ends the headers (Python records a
 *    defect and treats it as the first body line), so we do the same rather than guessing.
 */
import { refusal, ZwhError } from "./errors";
import { isValidVersion } from "./pep440";
import { isValidProjectName, normalizeName } from "./names";

export interface HeaderMessage {
  /** Header name (lowercased) → every value, in file order, with continuation lines unfolded. */
  headers: Map<string, string[]>;
  body: string;
}

export interface CoreMetadata {
  metadataVersion: string;
  name: string;
  normalizedName: string;
  version: string;
  summary?: string;
  requiresDist: string[];
  requiresPython?: string;
  providesExtra: string[];
  /** License-Expression (PEP 639) when present, else the License field. */
  license?: string;
  licenseExpression?: string;
  licenseClassifiers: string[];
  classifiers: string[];
  description?: string;
  /** All fields, lowercased names → values, for anything not lifted above. */
  fields: Record<string, string[]>;
}

export interface WheelInfo {
  wheelVersion: string;
  generator?: string;
  rootIsPurelib?: boolean;
  tags: string[];
  build?: string;
}

/** Highest metadata major version we understand (core metadata 2.x; spec says fail on 3+). */
const SUPPORTED_METADATA_MAJOR = 2;
const HEADER_RE = /^([\x21-\x39\x3b-\x7e]+):[ \t]*(.*)$/;

/** Parse RFC 822 style headers the way compat32 does (see the module comment). */
export function parseHeaderMessage(input: string | Buffer): HeaderMessage {
  let text = typeof input === "string" ? input : new TextDecoder("utf-8").decode(input);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\n|\r/);
  const headers = new Map<string, string[]>();
  let current: { name: string; parts: string[] } | null = null;
  const flush = () => {
    if (!current) return;
    const value = current.parts.join("\n");
    const list = headers.get(current.name) ?? [];
    list.push(value);
    headers.set(current.name, list);
    current = null;
  };
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") {
      i++;
      break;
    }
    if (/^[ \t]/.test(line) && current) {
      (current as { parts: string[] }).parts.push(line);
      continue;
    }
    const m = HEADER_RE.exec(line);
    if (!m) break; // first body line (defect in the header block)
    flush();
    current = { name: m[1].toLowerCase(), parts: [m[2]] };
  }
  flush();
  const bodyLines = lines.slice(i);
  // split() gives one trailing "" for a final newline; keep the body text as written.
  return { headers, body: bodyLines.join("\n") };
}

/** A single-line field value: continuation lines unfolded into single spaces. */
function oneLine(v: string): string {
  return v.replace(/\s*\n\s*/g, " ").trim();
}

function first(h: Map<string, string[]>, name: string): string | undefined {
  const v = h.get(name);
  return v && v.length ? oneLine(v[0]) : undefined;
}

function all(h: Map<string, string[]>, name: string): string[] {
  return (h.get(name) ?? []).map(oneLine).filter((v) => v !== "");
}

/**
 * Parse a METADATA file. Throws ZWH-METADATA-INVALID when Name/Version/Metadata-Version are
 * missing or malformed, ZWH-METADATA-VERSION when the metadata major version is above 2.
 */
export function parseMetadata(input: string | Buffer, subject = "METADATA"): CoreMetadata {
  const { headers, body } = parseHeaderMessage(input);
  const metadataVersion = first(headers, "metadata-version");
  if (!metadataVersion) throw invalid(subject, "Metadata-Version is missing");
  const mv = /^(\d+)\.(\d+)$/.exec(metadataVersion);
  if (!mv) throw invalid(subject, `Metadata-Version "${metadataVersion}" is not MAJOR.MINOR`);
  if (Number(mv[1]) > SUPPORTED_METADATA_MAJOR) {
    throw refusal("ZWH-METADATA-VERSION", `${subject}: Metadata-Version ${metadataVersion} is newer than this Wheelhouse understands (major ${SUPPORTED_METADATA_MAJOR})`, {
      subject,
      hint: "A new metadata major version may change field meanings; upgrade Wheelhouse before bundling this wheel.",
    });
  }
  const name = first(headers, "name");
  if (!name) throw invalid(subject, "Name is missing");
  if (!isValidProjectName(name)) throw invalid(subject, `Name "${name}" is not a valid project name`);
  const version = first(headers, "version");
  if (!version) throw invalid(subject, "Version is missing");
  if (!isValidVersion(version)) throw invalid(subject, `Version "${version}" is not a valid PEP 440 version`);

  const classifiers = all(headers, "classifier");
  const licenseExpression = first(headers, "license-expression");
  // License is free text and may span lines; keep its line breaks but trim the continuation indent.
  const licenseRaw = headers.get("license")?.[0];
  const licenseText = licenseRaw === undefined ? undefined : licenseRaw.split("\n").map((l) => l.trim()).join("\n").trim();
  const descriptionHeader = headers.get("description")?.[0];
  const fields: Record<string, string[]> = {};
  for (const [k, v] of headers) fields[k] = v;
  return {
    metadataVersion,
    name,
    normalizedName: normalizeName(name),
    version,
    summary: first(headers, "summary"),
    requiresDist: all(headers, "requires-dist"),
    requiresPython: first(headers, "requires-python") || undefined,
    providesExtra: all(headers, "provides-extra"),
    license: licenseExpression ?? (licenseText || undefined),
    licenseExpression,
    licenseClassifiers: classifiers.filter((c) => c.startsWith("License ::")),
    classifiers,
    description: descriptionHeader !== undefined ? unindentDescription(descriptionHeader) : body.trim() === "" ? undefined : body,
    fields,
  };
}

/** Core metadata 2.1 indents Description continuation lines with 8 spaces and a `|`. */
function unindentDescription(v: string): string {
  return v
    .split("\n")
    .map((l, i) => (i === 0 ? l : l.replace(/^ {7}\|/, "").replace(/^[ \t]+/, "")))
    .join("\n");
}

/** Parse `*.dist-info/WHEEL`. Throws ZWH-WHEEL-VERSION-UNSUPPORTED for Wheel-Version major ≠ 1. */
export function parseWheelInfo(input: string | Buffer, subject = "WHEEL"): WheelInfo {
  const { headers } = parseHeaderMessage(input);
  const wheelVersion = first(headers, "wheel-version");
  if (!wheelVersion) throw invalid(subject, "Wheel-Version is missing");
  const m = /^(\d+)\.(\d+)$/.exec(wheelVersion);
  if (!m) throw invalid(subject, `Wheel-Version "${wheelVersion}" is not MAJOR.MINOR`);
  if (Number(m[1]) !== 1) {
    // pip refuses wheels whose major version it does not know; so do we.
    throw refusal("ZWH-WHEEL-VERSION-UNSUPPORTED", `${subject}: Wheel-Version ${wheelVersion} is not supported (only 1.x)`, { subject });
  }
  const purelib = first(headers, "root-is-purelib");
  return {
    wheelVersion,
    generator: first(headers, "generator"),
    rootIsPurelib: purelib === undefined ? undefined : purelib.toLowerCase() === "true",
    tags: all(headers, "tag"),
    build: first(headers, "build"),
  };
}

function invalid(subject: string, why: string): ZwhError {
  return refusal("ZWH-METADATA-INVALID", `${subject}: ${why}`, {
    subject,
    hint: "The wheel's metadata is malformed; rebuild the wheel with a standard build backend.",
  });
}
