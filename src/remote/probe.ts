/**
 * `target probe`: read a z/OS host's facts over one session.
 *
 * 1. uname fields (each flag separately, so field values containing spaces stay intact);
 * 2. the stdlib-only helper probe.py, uploaded (never piped) and tagged ISO8859-1, run with the
 *    target Python: interpreter facts, pip version, compatible tags in pip's priority order,
 *    the PEP 508 marker environment and free space under the root;
 * 3. whether tagging works: a scratch file under the root (or $HOME) is tagged with
 *    `chtag -t -c ISO8859-1`, read back with `ls -T`, and removed.
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

/**
 * A per-run private directory under /tmp on the target holding the probe helper, removed by
 * cleanup(). The probe is a read-only command: it must leave nothing behind, neither under $HOME
 * nor under the install root (which may not exist yet). The helper is written as
 * create → chtag -b → write → chtag -t -c ISO8859-1, so a site with AUTOCVT conversion on SFTP
 * writes (zos-uss.md §5.2) cannot transcode it. Python source travels as a file, never on stdin
 * (z/OS converts exec stdin; zos-uss.md §9).
 */
export async function installTemporaryHelper(session: RemoteSession, name: string): Promise<{ path: string; sha256: string; dir: string; cleanup: () => Promise<void> }> {
  const src = helperSourcePath(name);
  let data: Buffer;
  try {
    data = readFileSync(src);
  } catch (e) {
    throw new ZwhError("ZWH-INTERNAL", `helper ${name} is missing from this installation (${src})`, { cause: e });
  }
  const sha = createHash("sha256").update(data).digest("hex");
  const dir = `${PROBE_TMP_BASE}/zwh-probe-${tempSuffix()}`;
  await session.mkdirp(dir, 0o700);
  const cleanup = async () => {
    await session.exec(["rm", "-rf", dir], { label: "rm probe dir" }).catch(() => undefined);
  };
  const file = `${dir}/${name.replace(/\.py$/, "")}-${sha.slice(0, 12)}.py`;
  try {
    await session.writeFile(file, Buffer.alloc(0), { mode: 0o600 });
    await session.execChecked(chtagBinaryArgv([file]), { label: "chtag -b helper" });
    await session.writeFile(file, data);
    await session.execChecked(chtagTextArgv([file], "ISO8859-1"), { label: "chtag -t helper" });
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { path: file, sha256: sha, dir, cleanup };
}

/** Where the probe's per-run directory goes (z/OS UNIX always has /tmp). */
export const PROBE_TMP_BASE = "/tmp";

async function readUname(session: RemoteSession): Promise<ProbeUname> {
  const flags = ["-s", "-n", "-r", "-v", "-m"] as const;
  const script = shJoin(flags.map((f) => shCommand(["uname", f])), "&&");
  const r = await session.execChecked({ script }, { label: "uname" });
  const lines = r.stdout.replace(/\r/g, "").split("\n");
  if (lines.length < 5) {
    throw new ZwhError("ZWH-PROBE-UNAME", `unexpected uname output from ${session.spec.host}: ${JSON.stringify(r.stdout)}`);
  }
  const [sysname, nodename, release, version, machine] = lines.map((l) => l.trim());
  return { sysname, nodename, release, version, machine };
}

async function checkTagging(session: RemoteSession, dir: string): Promise<ProbeTagging> {
  const expected = "t ISO8859-1   T=on";
  const file = `${dir}/.zwh-probe-${tempSuffix()}`;
  try {
    await session.writeFile(file, "wheelhouse tag probe\n");
  } catch (e) {
    return { works: false, observed: null, expected, dir, error: e instanceof ZwhError ? `${e.code}: ${e.message}` : String(e) };
  }
  try {
    const script = shJoin([shCommand(chtagTextArgv([file], "ISO8859-1")), shCommand(lsTagArgv([file]))], "&&");
    const r = await session.exec({ script }, { label: "chtag/ls -T" });
    const line = parseTagOutput(r.stdout).find((l) => l.rest === file) ?? parseTagOutput(r.stdout)[0];
    const observed = line?.tag ? formatTag(line.tag) : null;
    const works = r.code === 0 && isTextTag(line?.tag);
    const out: ProbeTagging = { works, observed, expected, dir };
    if (!works) {
      out.error = r.code !== 0 ? `exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 500)}` : `ls -T showed ${JSON.stringify(r.stdout.trim().slice(0, 200))}`;
    }
    return out;
  } finally {
    await session.unlink(file).catch(() => undefined);
  }
}

function parseHelperJson(stdout: string, host: string): Record<string, unknown> {
  const json = parseJsonLine(stdout);
  if (json) return json;
  throw new ZwhError("ZWH-PROBE-OUTPUT", `the probe helper on ${host} printed no JSON`, {
    details: { stdout: stdout.slice(0, 2000) },
    hint: "Run the target Python by hand to see what it prints (interpreter banner, site customisation).",
  });
}

export async function probeTarget(session: RemoteSession, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const spec = session.spec;
  const python = opts.pythonPath ?? spec.pythonPath ?? DEFAULT_PYTHON;
  const warnings: string[] = [];
  const step = opts.onStep ?? (() => undefined);

  step("uname");
  const uname = await readUname(session);
  if (uname.sysname !== "OS/390") warnings.push(`uname -s is '${uname.sysname}', not 'OS/390': this does not look like z/OS UNIX`);

  step("upload probe helper");
  const tmp = await installTemporaryHelper(session, "probe.py");
  try {
    return await probeWithHelper(session, opts, python, uname, warnings, step, tmp);
  } finally {
    await tmp.cleanup();
  }
}

async function probeWithHelper(
  session: RemoteSession, opts: ProbeOptions, python: string, uname: ProbeUname, warnings: string[], step: (t: string) => void,
  tmp: { path: string; sha256: string; dir: string },
): Promise<ProbeResult> {
  const spec = session.spec;
  const helper = { path: tmp.path, sha256: tmp.sha256 };
  const home = await session.homeDir();
  const rootPath = opts.root ?? home;

  step("run probe helper");
  // probe.py runs `python -m pip debug --verbose` and `python -m pip --version` itself.
  const r = await session.exec([python, helper.path, "--root", rootPath], { label: "python probe.py", childPythonStarts: 2 });
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

  step("check file tagging");
  // In the probe's own directory: a read-only command writes nowhere else (deploy checks every
  // tag it sets in the root with ls -T anyway).
  const tagDir = tmp.dir;
  const tagging = await checkTagging(session, tagDir);
  if (!tagging.works) warnings.push(`file tagging did not work in ${tagDir}: ${tagging.error ?? "unexpected tag"}`);

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
}
