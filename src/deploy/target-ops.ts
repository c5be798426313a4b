/**
 * Adapter between the deploy pipeline and the transport: helper scripts, batched commands,
 * tagged writes. Everything goes over the ONE open Transport of the run (src/remote/transport.ts).
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
import { chunks } from "../core/chunks";
import { parseJsonLine } from "../remote/json-line";
import { tempSuffix } from "../remote/temp-name";
import { chtagFailed, formatTag, isBinaryTag, isTextTag, parseTagOutput, type FileTag } from "../remote/tags";
import { helperArgv, type BatchCommand, type BatchOptions, type BatchResult, type ExecOptions, type HelperOptions, type Transport } from "../remote/transport";
import { hostTitle } from "../remote/target";
import type { RootLayout } from "./layout";

export type HelperName = "zwh_target.py" | "dsse_verify.py" | "zwh_deploy.py" | "zwh_drift.py";
export const HELPERS: readonly HelperName[] = ["zwh_target.py", "dsse_verify.py", "zwh_deploy.py", "zwh_drift.py"];
/** Helpers that live beside the deploy code (src/deploy/helpers); the rest are in src/remote/helpers. */
const DEPLOY_HELPERS: readonly HelperName[] = ["zwh_deploy.py", "zwh_drift.py"];

/** Source of a helper in this installation (lib/ after build, src/ under vitest). */
export function helperSource(name: HelperName): string {
  const candidates =
    DEPLOY_HELPERS.includes(name)
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

export type { BatchCommand, BatchResult } from "../remote/transport";
export { chtagCommands } from "../remote/tags";
export { chunks } from "../core/chunks";

export class TargetOps {
  readonly helpers: Record<HelperName, HelperFile>;
  constructor(
    readonly session: Transport,
    readonly layout: RootLayout,
    readonly python: string,
  ) {
    this.helpers = helperFiles(layout);
  }

  /** The LPAR's name with its address ("lpar1 (10.1.1.5:2222)"), or the address alone: how messages name it. */
  get host(): string {
    return hostTitle(this.session.spec);
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

  /** Run a helper subcommand (pythonFlags: e.g. ISOLATED); returns its JSON (never throws on exit 3). */
  async helper(name: HelperName, args: string[], opts: HelperOptions & { allow?: number[] } = {}): Promise<HelperResult> {
    const r = await this.session.runHelper(this.python, this.helpers[name].remotePath, args, { label: `${name} ${args[0] ?? ""}`, ...opts });
    return this.helperOutcome(name, args, { ...r, json: r.json }, opts.allow);
  }

  /** argv running a helper inside a batch (the same argv runHelper builds; pythonFlags e.g. ISOLATED). */
  helperArgv(name: HelperName, args: string[], pythonFlags: HelperOptions["pythonFlags"] = []): string[] {
    return helperArgv(this.python, this.helpers[name].remotePath, args, pythonFlags);
  }

  /**
   * A helper's output judged as helper() does: its JSON, or ZWH-DEPLOY-HELPER when it printed
   * none, or the helper's own error code when its exit code is not in `allow` (default 0 and 3).
   */
  helperOutcome(name: HelperName, args: string[], r: { code: number; stdout: string; stderr?: string; json?: Record<string, unknown> }, allowed?: number[]): HelperResult {
    const json = r.json ?? parseJsonLine(r.stdout);
    const stderr = r.stderr ?? "";
    if (!json) {
      throw new ZwhError("ZWH-DEPLOY-HELPER", `helper ${name} ${args[0] ?? ""} on ${this.host} printed no JSON (exit ${r.code})`, {
        subject: this.host,
        details: { stdout: r.stdout.slice(-2000), stderr: stderr.slice(-4000), exitCode: r.code },
        hint: "Check that --python names a working interpreter on the target.",
      });
    }
    const allow = allowed ?? [0, 3];
    if (!allow.includes(r.code)) {
      const err = (json.error ?? {}) as Record<string, unknown>;
      throw new ZwhError(String(err.code ?? "ZWH-DEPLOY-HELPER"), `${name} ${args[0] ?? ""} failed on ${this.host}: ${String(err.message ?? stderr.trim().slice(-500))}`, {
        subject: typeof err.subject === "string" ? err.subject : this.host,
        ...(typeof err.hint === "string" ? { hint: err.hint } : {}),
        details: { helper: json, stderr: stderr.slice(-4000), exitCode: r.code },
      });
    }
    return { code: r.code, json, stderr };
  }

  /** argv of a zwh_target.py subcommand (for batches; `helper()` runs one on its own). */
  zwhTarget(...args: string[]): string[] {
    return this.helperArgv("zwh_target.py", args);
  }

  /**
   * ONE interpreter start for several zwh_target.py commands (argvs from zwhTarget/auditArgv/
   * unlockArgv): zwh_deploy.py multi. Parse its output with multiResults.
   */
  multiArgv(cmds: string[][]): string[] {
    const zt = this.helpers["zwh_target.py"].remotePath;
    const argv = [this.python, this.helpers["zwh_deploy.py"].remotePath, "multi", "--zwh-target", zt];
    for (const c of cmds) {
      if (c[0] !== this.python || c[1] !== zt) throw new ZwhError("ZWH-INTERNAL", `multiArgv takes zwh_target.py commands only (got ${c[1] ?? c[0]})`);
      argv.push("--cmd", JSON.stringify(c.slice(2)));
    }
    return argv;
  }

  /** The per-command results of a multiArgv run ({code, json}), or ZWH-DEPLOY-HELPER when it printed none. */
  multiResults(stdout: string, n: number): Array<{ code: number; json: Record<string, unknown> }> {
    const j = parseJsonLine(stdout);
    const rs = (j?.results ?? []) as Array<{ code: number; result: Record<string, unknown> }>;
    if (rs.length !== n) {
      throw new ZwhError("ZWH-DEPLOY-HELPER", `helper zwh_deploy.py multi on ${this.host} reported ${rs.length} of ${n} results`, {
        subject: this.host, details: { stdout: stdout.slice(-2000) },
      });
    }
    return rs.map((r) => ({ code: Number(r.code), json: r.result ?? {} }));
  }

  /** argv appending one JSON line to <root>/.wheelhouse/audit.log. */
  auditArgv(entry: Record<string, unknown>): string[] {
    return this.zwhTarget("audit-append", "--root", this.layout.root, "--json", JSON.stringify(entry));
  }

  /** argv releasing the deployment lock `lockId`. */
  unlockArgv(lockId: string): string[] {
    return this.zwhTarget("lock", "release", "--root", this.layout.root, "--lock-id", lockId);
  }

  /** Run several argv commands in ONE round trip; each gets its own exit code and stdout. */
  batch(cmds: BatchCommand[], opts: BatchOptions = {}): Promise<BatchResult[]> {
    return this.session.batch(cmds, opts);
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

  /** Create empty files and tag them in one round trip. */
  precreate(files: Array<{ path: string; kind: "text" | "binary"; mode?: number }>): Promise<void> {
    return this.session.pretag(files);
  }

  /** ZWH-DEPLOY-TAG for a chtag command that failed (nothing is written into an untagged file). */
  chtagFailed(cmd: string[], code: number): ZwhError {
    return chtagFailed(this.host, cmd, code);
  }

  /** ls -T every file and fail on any tag that is not the intended one. */
  async checkTags(files: Array<{ path: string; kind: "text" | "binary" }>): Promise<void> {
    if (files.length === 0) return;
    this.checkTagMap(await this.session.readTags(files.map((f) => f.path)), files);
  }

  /** Check `ls -T` output (`listing`) against the intended tag of every file; ZWH-DEPLOY-TAG if any differs or is missing. */
  checkTagListing(listing: string, files: Array<{ path: string; kind: "text" | "binary" }>): void {
    const tags = new Map<string, FileTag | undefined>();
    for (const line of parseTagOutput(listing)) tags.set(line.rest, line.tag);
    this.checkTagMap(tags, files);
  }

  /** Check tags read back from the target against the intended tag of every file. */
  checkTagMap(tags: Map<string, FileTag | undefined>, files: Array<{ path: string; kind: "text" | "binary" }>): void {
    const wrong: string[] = [];
    for (const f of files) {
      if (!tags.has(f.path)) {
        wrong.push(`${f.path}: not listed by ls -T`);
        continue;
      }
      const tag = tags.get(f.path);
      const ok = f.kind === "binary" ? isBinaryTag(tag) : isTextTag(tag, "ISO8859-1");
      if (!ok) wrong.push(`${f.path}: ${tag ? formatTag(tag) : "no tag"} (want ${f.kind === "binary" ? "b binary T=off" : "t ISO8859-1 T=on"})`);
    }
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
