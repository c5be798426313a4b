/**
 * Adapter between the deploy pipeline and the transport: helper scripts, batched commands,
 * tagged writes. Everything goes over the ONE RemoteSession of the run.
 *
 * Writing files safely on z/OS (zos-uss.md §5.2): a file SFTP creates is untagged, and a site with
 * AUTOCVT conversion on SFTP writes transcodes bytes written into an untagged file. So every file
 * we write is first created EMPTY, tagged (chtag -b for wheels, chtag -t -c ISO8859-1 for text)
 * in one batched exec, then written (overwriting keeps the tag), then checked with ls -T.
 */
import { createHash } from "crypto";
import { existsSync, readFileSync } from "fs";
import { userInfo } from "os";
import { join } from "path";
import { ZwhError } from "../core/errors";
import { tempSuffix, type ExecOptions, type RemoteSession } from "../remote/connection";
import { parseJsonLine } from "../remote/json-line";
import { shCommand, shQuote } from "../remote/quote";
import { chtagBinaryArgv, chtagTextArgv, formatTag, isBinaryTag, isTextTag, lsTagArgv, parseTagOutput } from "../remote/tags";
import type { RootLayout } from "./layout";

export type HelperName = "zwh_target.py" | "dsse_verify.py" | "zwh_deploy.py";
export const HELPERS: readonly HelperName[] = ["zwh_target.py", "dsse_verify.py", "zwh_deploy.py"];

/** Source of a helper in this installation (lib/ after build, src/ under vitest). */
export function helperSource(name: HelperName): string {
  const candidates =
    name === "zwh_deploy.py"
      ? [join(__dirname, "helpers", name), join(__dirname, "..", "..", "src", "deploy", "helpers", name)]
      : [join(__dirname, "..", "remote", "helpers", name), join(__dirname, "..", "..", "src", "remote", "helpers", name)];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new ZwhError("ZWH-INTERNAL", `helper ${name} is missing from this installation (looked in ${candidates.join(", ")})`);
}

export interface HelperFile {
  name: HelperName;
  data: Buffer;
  sha256: string;
  remotePath: string;
}

export function helperFiles(layout: RootLayout): Record<HelperName, HelperFile> {
  const out = {} as Record<HelperName, HelperFile>;
  for (const name of HELPERS) {
    const data = readFileSync(helperSource(name));
    const sha256 = createHash("sha256").update(data).digest("hex");
    out[name] = { name, data, sha256, remotePath: `${layout.helpers}/${name.replace(/\.py$/, "")}-${sha256.slice(0, 12)}.py` };
  }
  return out;
}

export interface HelperResult {
  code: number;
  json: Record<string, unknown>;
  stderr: string;
}

/** One command of a batch: an argv, optionally with stdin redirected from a file (`argv < file`). */
export type BatchCommand = string[] | { argv: string[]; stdinFile: string };

function batchLine(c: BatchCommand): string {
  return Array.isArray(c) ? shCommand(c) : `${shCommand(c.argv)} < ${shQuote(c.stdinFile)}`;
}

/** The result of one command of a batch. */
export interface BatchResult {
  code: number;
  stdout: string;
}

const MARK = "@@ZWH-END-";

export class TargetOps {
  readonly helpers: Record<HelperName, HelperFile>;
  constructor(
    readonly session: RemoteSession,
    readonly layout: RootLayout,
    readonly python: string,
  ) {
    this.helpers = helperFiles(layout);
  }

  get host(): string {
    return `${this.session.spec.host}:${this.session.spec.port}`;
  }

  /**
   * Upload the helpers that are missing (content-addressed names, so an existing file with the
   * right size is the right helper). Returns the number uploaded. 1 SFTP stat round per helper
   * (in parallel) when everything is present.
   */
  async ensureHelpers(): Promise<number> {
    const files = Object.values(this.helpers);
    const st = await Promise.all(files.map((f) => this.session.exists(f.remotePath)));
    const missing = files.filter((f, i) => !(st[i]?.isFile && st[i]!.size === f.data.length));
    if (missing.length === 0) return 0;
    await this.session.mkdirp(this.layout.helpers, 0o755);
    const tmps = missing.map((f) => ({ f, tmp: tempName(f.remotePath) }));
    await this.writeTagged(tmps.map(({ f, tmp }) => ({ path: tmp, data: f.data, kind: "text" as const })));
    await Promise.all(tmps.map(({ f, tmp }) => this.session.rename(tmp, f.remotePath, { overwrite: true })));
    return missing.length;
  }

  /** Run a helper subcommand; returns its JSON (never throws on exit 3). */
  async helper(name: HelperName, args: string[], opts: ExecOptions & { allow?: number[] } = {}): Promise<HelperResult> {
    const r = await this.session.exec([this.python, this.helpers[name].remotePath, ...args], { label: `${name} ${args[0] ?? ""}`, ...opts });
    const json = parseJsonLine(r.stdout);
    if (!json) {
      throw new ZwhError("ZWH-DEPLOY-HELPER", `helper ${name} ${args[0] ?? ""} on ${this.host} printed no JSON (exit ${r.code})`, {
        subject: this.host,
        details: { stdout: r.stdout.slice(-2000), stderr: r.stderr.slice(-4000), exitCode: r.code },
        hint: "Check that --python names a working interpreter on the target.",
      });
    }
    const allow = opts.allow ?? [0, 3];
    if (!allow.includes(r.code)) {
      const err = (json.error ?? {}) as Record<string, unknown>;
      throw new ZwhError(String(err.code ?? "ZWH-DEPLOY-HELPER"), `${name} ${args[0] ?? ""} failed on ${this.host}: ${String(err.message ?? r.stderr.trim().slice(-500))}`, {
        subject: this.host,
        details: { helper: json, stderr: r.stderr.slice(-4000), exitCode: r.code },
      });
    }
    return { code: r.code, json, stderr: r.stderr };
  }

  /** argv of a zwh_target.py subcommand (for batches; `helper()` runs one on its own). */
  zwhTarget(...args: string[]): string[] {
    return [this.python, this.helpers["zwh_target.py"].remotePath, ...args];
  }

  /** argv appending one JSON line to <root>/.wheelhouse/audit.log. */
  auditArgv(entry: Record<string, unknown>): string[] {
    return this.zwhTarget("audit-append", "--root", this.layout.root, "--json", JSON.stringify(entry));
  }

  /** argv releasing the deployment lock `lockId`. */
  unlockArgv(lockId: string): string[] {
    return this.zwhTarget("lock", "release", "--root", this.layout.root, "--lock-id", lockId);
  }

  /** Run several argv commands in ONE exec; each gets its own exit code and stdout. */
  async batch(cmds: BatchCommand[], opts: ExecOptions = {}): Promise<BatchResult[]> {
    const script = cmds.map((c, i) => `${batchLine(c)}; echo "${MARK}${i}-$?@@"`).join("\n");
    const r = await this.session.exec({ script }, { label: opts.label ?? "batch", ...opts });
    const out: BatchResult[] = [];
    let rest = r.stdout;
    for (let i = 0; i < cmds.length; i++) {
      const re = new RegExp(`${MARK}${i}-(\\d+)@@\\n?`);
      const m = re.exec(rest);
      if (!m) {
        const c = cmds[i];
        throw new ZwhError("ZWH-DEPLOY-BATCH", `batched command ${i + 1}/${cmds.length} (${Array.isArray(c) ? c[0] : c.argv[0]}) on ${this.host} did not finish (exit ${r.code})`, {
          subject: this.host,
          details: { stdout: r.stdout.slice(-2000), stderr: r.stderr.slice(-2000) },
        });
      }
      out.push({ code: Number(m[1]), stdout: rest.slice(0, m.index) });
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }

  /**
   * Write files so that no byte ever lands in an untagged file: create empty → tag (one exec for
   * all) → write (parallel) → ls -T check (one exec). Text is tagged ISO8859-1, wheels binary.
   */
  async writeTagged(files: Array<{ path: string; data: Buffer | string; kind: "text" | "binary"; mode?: number }>): Promise<void> {
    if (files.length === 0) return;
    await this.precreate(files);
    await Promise.all(files.map((f) => this.session.writeFile(f.path, f.data, f.mode !== undefined ? { mode: f.mode } : {})));
    await this.checkTags(files);
  }

  /** Create empty files and tag them in one exec. */
  async precreate(files: Array<{ path: string; kind: "text" | "binary"; mode?: number }>): Promise<void> {
    await Promise.all(files.map((f) => this.session.writeFile(f.path, Buffer.alloc(0), { mode: f.mode ?? 0o644 })));
    const cmds = chtagCommands(files);
    const res = await this.batch(cmds, { label: "chtag" });
    const bad = res.findIndex((r) => r.code !== 0);
    if (bad >= 0) throw this.chtagFailed(cmds[bad], res[bad].code);
  }

  /** ZWH-DEPLOY-TAG for a chtag command that failed (nothing is written into an untagged file). */
  chtagFailed(cmd: string[], code: number): ZwhError {
    return new ZwhError("ZWH-DEPLOY-TAG", `chtag failed on ${this.host} (exit ${code}); files are not written into untagged files`, {
      subject: this.host,
      details: { command: cmd.slice(0, 4) },
      hint: "Check that the install root is on a z/OS UNIX file system that supports file tags (zwh target probe shows 'Tagging').",
    });
  }

  /** ls -T every file and fail on any tag that is not the intended one. */
  async checkTags(files: Array<{ path: string; kind: "text" | "binary" }>): Promise<void> {
    if (files.length === 0) return;
    const res = await this.batch(chunks(files.map((f) => f.path), 200).map((c) => lsTagArgv(c)), { label: "ls -T" });
    this.checkTagListing(res.map((r) => r.stdout).join("\n"), files);
  }

  /** Check `ls -T` output (`listing`) against the intended tag of every file; ZWH-DEPLOY-TAG if any differs or is missing. */
  checkTagListing(listing: string, files: Array<{ path: string; kind: "text" | "binary" }>): void {
    const want = new Map(files.map((f) => [f.path, f.kind]));
    const seen = new Set<string>();
    const wrong: string[] = [];
    for (const line of parseTagOutput(listing)) {
      const kind = want.get(line.rest);
      if (!kind) continue;
      seen.add(line.rest);
      const ok = kind === "binary" ? isBinaryTag(line.tag) : isTextTag(line.tag, "ISO8859-1");
      if (!ok) wrong.push(`${line.rest}: ${line.tag ? formatTag(line.tag) : "no tag"} (want ${kind === "binary" ? "b binary T=off" : "t ISO8859-1 T=on"})`);
    }
    for (const p of want.keys()) if (!seen.has(p)) wrong.push(`${p}: not listed by ls -T`);
    if (wrong.length > 0) {
      throw new ZwhError("ZWH-DEPLOY-TAG", `file tags on ${this.host} are not as intended: ${wrong.slice(0, 5).join("; ")}${wrong.length > 5 ? ` (+${wrong.length - 5} more)` : ""}`, {
        subject: this.host,
        details: { wrong },
        hint: "Something re-tagged or replaced the files after they were written; re-run the deploy. If it persists, check for an auto-tagging mount.",
      });
    }
  }

  async readJson(path: string): Promise<unknown> {
    const buf = await this.session.readFile(path);
    try {
      return JSON.parse(buf.toString("utf8")) as unknown;
    } catch (e) {
      throw new ZwhError("ZWH-DEPLOY-REPORT", `${path} on ${this.host} is not JSON`, { subject: path, cause: e });
    }
  }
}

/** chtag commands (200 paths each) giving every file its intended tag: -b for wheels, -t -c ISO8859-1 for text. */
export function chtagCommands(files: Array<{ path: string; kind: "text" | "binary" }>): string[][] {
  const of = (kind: "text" | "binary") => chunks(files.filter((f) => f.kind === kind).map((f) => f.path), 200);
  return [...of("binary").map((c) => chtagBinaryArgv(c)), ...of("text").map((c) => chtagTextArgv(c, "ISO8859-1"))];
}

export function chunks<T>(a: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < a.length; i += n) out.push(a.slice(i, i + n));
  return out;
}

/** A unique temporary sibling of `path` (same directory, so a rename onto `path` is atomic). */
export function tempName(path: string): string {
  return `${path}.tmp-${tempSuffix()}`;
}

/** The local user name, for lock owners, audit lines and receipts. */
export function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}
