/**
 * `target probe`: read a z/OS host's facts over one session.
 *
 * 1. uname fields (each flag separately, so field values containing spaces stay intact);
 * 2. the stdlib-only helper probe.py, uploaded (never piped) and tagged ISO8859-1, run with the
 *    target Python: interpreter facts, pip version, compatible tags in pip's priority order,
 *    the PEP 508 marker environment and free space under the root;
 * 3. whether tagging works: a scratch file in the probe's private /tmp directory is tagged with
 *    `chtag -t -c ISO8859-1`, read back with `ls -T`, and removed.
 * Two exec round trips in all (probeTarget).
 *
 * The JSON shape is documented in docs/probe.md (formatVersion 1).
 */
import { createHash } from "crypto";
import { readFileSync } from "fs";
import { join } from "path";
import { ZwhError } from "../core/errors";
import { tempSuffix, type RemoteSession } from "./connection";
import { parseJsonLine } from "./json-line";
import { shCommand, shJoin } from "./quote";
import { chtagBinaryArgv, chtagTextArgv, formatTag, isTextTag, lsTagArgv, parseTagOutput } from "./tags";
import { DEFAULT_PYTHON } from "./target";

export const PROBE_FORMAT_VERSION = 1;

export interface ProbeUname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
}

export interface ProbePython {
  path: string;
  /** The interpreter path we were asked to run (sys.executable may differ, e.g. a symlink). */
  requestedPath: string;
  version: string;
  versionInfo: number[];
  implementation: string;
  sysPlatform: string;
  platformSystem: string;
  sysconfigPlatform: string;
  prefix: string;
  basePrefix: string;
  inVenv: boolean;
  banner: string;
  filesystemEncoding: string;
  preferredEncoding: string;
}

export interface ProbeRoot {
  path: string;
  /** True when --root was given; otherwise the path is $HOME. */
  given: boolean;
  exists: boolean;
  /** Directory statvfs ran on: the root, or its nearest existing ancestor. */
  measuredAt: string;
  freeBytes: number | null;
  totalBytes: number | null;
  writable: boolean | null;
}

export interface ProbeTagging {
  works: boolean;
  /** The 19-character tag read back with ls -T, e.g. "t ISO8859-1   T=on". */
  observed: string | null;
  expected: string;
  /** Directory the scratch file was created in. */
  dir: string;
  error?: string;
}

export interface ProbeResult {
  formatVersion: number;
  ok: true;
  probedAt: string;
  target: { host: string; port: number; user: string; hostKeyFingerprint: string; authMethod: string };
  uname: ProbeUname;
  python: ProbePython;
  pip: { version: string | null };
  compatibleTags: string[];
  compatibleTagsSource: string;
  markerEnv: Record<string, string>;
  root: ProbeRoot;
  home: string;
  tagging: ProbeTagging;
  helper: { path: string; sha256: string };
  warnings: string[];
}

export interface ProbeOptions {
  /** Wheelhouse root on the target (free space, tagging check). Default: $HOME. */
  root?: string;
  /** Target Python; default session.spec.pythonPath or DEFAULT_PYTHON. */
  pythonPath?: string;
  onStep?: (title: string) => void;
}

export function helperSourcePath(name: string): string {
  return join(__dirname, "helpers", name);
}

/** Where the probe's per-run directory goes (z/OS UNIX always has /tmp). */
export const PROBE_TMP_BASE = "/tmp";

/** Sections of the probe's second exec, each ended by a marker line with its exit code. */
const PROBE_MARK = "@@PROBE-SECTION-";

function section(cmd: string, name: string): string {
  return `${cmd}; echo "${PROBE_MARK}${name}-$?@@"`;
}

/** Split the probe exec's stdout into its sections: name -> { code, stdout }. */
function splitSections(stdout: string): Map<string, { code: number; stdout: string }> {
  const out = new Map<string, { code: number; stdout: string }>();
  const re = new RegExp(`${PROBE_MARK}([a-z]+)-(\\d+)@@\\n?`, "g");
  let from = 0;
  for (let m = re.exec(stdout); m; m = re.exec(stdout)) {
    out.set(m[1]!, { code: Number(m[2]), stdout: stdout.slice(from, m.index) });
    from = m.index + m[0].length;
  }
  return out;
}

function parseUname(stdout: string, host: string): ProbeUname {
  const lines = stdout.replace(/\r/g, "").split("\n");
  if (lines.length < 5) {
    throw new ZwhError("ZWH-PROBE-UNAME", `unexpected uname output from ${host}: ${JSON.stringify(stdout)}`);
  }
  const [sysname, nodename, release, version, machine] = lines.map((l) => l.trim());
  return { sysname, nodename, release, version, machine };
}

const TAG_EXPECTED = "t ISO8859-1   T=on";

function taggingResult(sec: { code: number; stdout: string } | undefined, file: string, dir: string): ProbeTagging {
  const expected = TAG_EXPECTED;
  if (!sec) return { works: false, observed: null, expected, dir, error: "the tag check did not run" };
  const lines = parseTagOutput(sec.stdout);
  const line = lines.find((l) => l.rest === file) ?? lines[0];
  const observed = line?.tag ? formatTag(line.tag) : null;
  const works = sec.code === 0 && isTextTag(line?.tag);
  const out: ProbeTagging = { works, observed, expected, dir };
  if (!works) out.error = sec.code !== 0 ? `exit ${sec.code}: ${sec.stdout.trim().slice(0, 500)}` : `ls -T showed ${JSON.stringify(sec.stdout.trim().slice(0, 200))}`;
  return out;
}

function parseHelperJson(stdout: string, host: string): Record<string, unknown> {
  const json = parseJsonLine(stdout);
  if (json) return json;
  throw new ZwhError("ZWH-PROBE-OUTPUT", `the probe helper on ${host} printed no JSON`, {
    details: { stdout: stdout.slice(0, 2000) },
    hint: "Run the target Python by hand to see what it prints (interpreter banner, site customisation).",
  });
}

/**
 * Two execs and two file writes: (1) a private directory under /tmp with the helper's file
 * created empty and tagged binary; the helper and a tag-check file are written over SFTP (binary,
 * so a site with AUTOCVT on SFTP writes cannot transcode them, zos-uss.md §5.2); (2) one script:
 * uname, tag the helper ISO8859-1 and run it (Python source travels as a file, never on stdin:
 * z/OS converts exec stdin, §9), tag the check file and read it back with `ls -T`, remove the
 * directory. A read-only command leaves nothing behind, under $HOME or the install root.
 */
export async function probeTarget(session: RemoteSession, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const spec = session.spec;
  const python = opts.pythonPath ?? spec.pythonPath ?? DEFAULT_PYTHON;
  const warnings: string[] = [];
  const step = opts.onStep ?? (() => undefined);

  const src = helperSourcePath("probe.py");
  let data: Buffer;
  try {
    data = readFileSync(src);
  } catch (e) {
    throw new ZwhError("ZWH-INTERNAL", `helper probe.py is missing from this installation (${src})`, { cause: e });
  }
  const sha = createHash("sha256").update(data).digest("hex");
  const dir = `${PROBE_TMP_BASE}/zwh-probe-${tempSuffix()}`;
  const file = `${dir}/probe-${sha.slice(0, 12)}.py`;
  const tagFile = `${dir}/.zwh-probe-${tempSuffix()}`;
  const helper = { path: file, sha256: sha };
  let removed = false;
  try {
    step("upload probe helper");
    await session.execChecked({ script: `umask 077 && ${shCommand(["mkdir", dir])} && ${shCommand(["touch", file])} && ${shCommand(chtagBinaryArgv([file]))}` }, { label: "probe dir + chtag -b helper" });
    let tagWriteError: string | undefined;
    await Promise.all([
      session.writeFile(file, data),
      session.writeFile(tagFile, "wheelhouse tag probe\n").catch((e: unknown) => {
        tagWriteError = e instanceof ZwhError ? `${e.code}: ${e.message}` : String(e);
      }),
    ]);
    const home = await session.homeDir();
    const rootPath = opts.root ?? home;

    step("run probe helper");
    // probe.py runs `python -m pip debug --verbose` and `python -m pip --version` itself.
    const script = [
      section(shJoin((["-s", "-n", "-r", "-v", "-m"] as const).map((f) => shCommand(["uname", f])), "&&"), "uname"),
      section(`${shCommand(chtagTextArgv([file], "ISO8859-1"))} && ${shCommand([python, file, "--root", rootPath])}`, "python"),
      ...(tagWriteError ? [] : [section(`${shCommand(chtagTextArgv([tagFile], "ISO8859-1"))} && ${shCommand(lsTagArgv([tagFile]))}`, "tag")]),
      section(shCommand(["rm", "-rf", dir]), "rm"),
    ].join("\n");
    const all = await session.exec({ script }, { label: "uname + python probe.py + tag check", childPythonStarts: 2 });
    const secs = splitSections(all.stdout);
    removed = secs.get("rm")?.code === 0;
    const un = secs.get("uname");
    if (!un || un.code !== 0) {
      throw new ZwhError("ZWH-PROBE-UNAME", `uname failed on ${spec.host}:${spec.port} (exit ${un?.code ?? all.code}): ${all.stderr.trim().slice(-300)}`, { details: { stdout: all.stdout.slice(0, 2000) } });
    }
    const uname = parseUname(un.stdout, spec.host);
    if (uname.sysname !== "OS/390") warnings.push(`uname -s is '${uname.sysname}', not 'OS/390': this does not look like z/OS UNIX`);
    const r = { code: secs.get("python")?.code ?? all.code, stdout: secs.get("python")?.stdout ?? "", stderr: all.stderr };
    if (r.code !== 0) {
      const notFound = r.code === 127 || /not found|No such file/i.test(r.stderr);
      throw new ZwhError(
        notFound ? "ZWH-PROBE-PYTHON-MISSING" : "ZWH-PROBE-PYTHON",
        notFound
          ? `Python interpreter ${python} was not found on ${spec.host}:${spec.port}`
          : `the probe helper failed on ${spec.host}:${spec.port} with exit code ${r.code}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`,
        {
          subject: python,
          hint: notFound
            ? "Pass --python with the path of IBM Open Enterprise SDK for Python on the target (e.g. /usr/lpp/IBM/cyp/v3r12/pyz/bin/python3)."
            : "Check that the interpreter runs for this user (LIBPATH, MAXMMAPAREA, HOME writable).",
          details: { stderr: r.stderr.slice(-4000), exitCode: r.code },
        },
      );
    }
    const h = parseHelperJson(r.stdout, spec.host);
    const hp = (h.python ?? {}) as Record<string, unknown>;
    for (const e of (h.errors as string[] | undefined) ?? []) warnings.push(`probe helper: ${e}`);
    const hr = h.root as Record<string, unknown> | null;
    const root: ProbeRoot = {
      path: rootPath,
      given: opts.root !== undefined,
      exists: Boolean(hr?.exists),
      measuredAt: String(hr?.measuredAt ?? rootPath),
      freeBytes: typeof hr?.freeBytes === "number" ? hr.freeBytes : null,
      totalBytes: typeof hr?.totalBytes === "number" ? hr.totalBytes : null,
      writable: typeof hr?.writable === "boolean" ? hr.writable : null,
    };
    if (opts.root !== undefined && !root.exists) warnings.push(`root ${rootPath} does not exist yet; free space is that of ${root.measuredAt}`);

    // In the probe's own directory: a read-only command writes nowhere else (deploy checks every
    // tag it sets in the root with ls -T anyway).
    const tagging: ProbeTagging = tagWriteError
      ? { works: false, observed: null, expected: TAG_EXPECTED, dir, error: tagWriteError }
      : taggingResult(secs.get("tag"), tagFile, dir);
    if (!tagging.works) warnings.push(`file tagging did not work in ${dir}: ${tagging.error ?? "unexpected tag"}`);

    return {
      formatVersion: PROBE_FORMAT_VERSION,
      ok: true,
      probedAt: new Date().toISOString(),
      target: { host: spec.host, port: spec.port, user: spec.user, hostKeyFingerprint: session.hostKeyFingerprint, authMethod: session.authMethod },
      uname,
      python: {
        path: String(hp.path ?? python),
        requestedPath: python,
        version: String(hp.version ?? ""),
        versionInfo: (hp.versionInfo as number[]) ?? [],
        implementation: String(hp.implementation ?? ""),
        sysPlatform: String(hp.sysPlatform ?? ""),
        platformSystem: String(hp.platformSystem ?? ""),
        sysconfigPlatform: String(hp.sysconfigPlatform ?? ""),
        prefix: String(hp.prefix ?? ""),
        basePrefix: String(hp.basePrefix ?? ""),
        inVenv: Boolean(hp.inVenv),
        banner: String(hp.banner ?? ""),
        filesystemEncoding: String(hp.filesystemEncoding ?? ""),
        preferredEncoding: String(hp.preferredEncoding ?? ""),
      },
      pip: { version: ((h.pip as Record<string, unknown> | undefined)?.version as string | null) ?? null },
      compatibleTags: (h.compatibleTags as string[]) ?? [],
      compatibleTagsSource: String(h.compatibleTagsSource ?? ""),
      markerEnv: (h.markerEnv as Record<string, string>) ?? {},
      root,
      home,
      tagging,
      helper,
      warnings,
    };
  } finally {
    if (!removed) await session.exec(["rm", "-rf", dir], { label: "rm probe dir" }).catch(() => undefined);
  }
}
