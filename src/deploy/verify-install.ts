/**
 * After pip: prove the release holds exactly the signed set, unmodified.
 * One exec that stops at the first failure: the isolated RECORD re-hash; then pip check + pip
 * inspect in one start of the venv's interpreter (the inspect report written to a file and
 * fetched over SFTP: exec stdout is code-page converted on z/OS); then the optional smoke import.
 * The install report and the inspect report are then read over SFTP.
 *
 * Installed set rule: every manifest wheel is installed at its version (and pip's install report
 * shows the manifest's sha256 for it); anything else must be a venv bootstrap package
 * (pip/setuptools/wheel from ensurepip, only when the engine had to bootstrap pip into the venv)
 * that the manifest does not name. Those are reported as "bootstrap", never silently.
 */
import { ZwhError, refusal } from "../core/errors";
import { normalizeName } from "../core/names";
import type { VerifiedBundle } from "../bundle/verify";
import type { TargetOps } from "./target-ops";
import { pipEnv } from "./layout";
import { parseJsonLine } from "../remote/json-line";
import { ISOLATED, helperArgv, type BatchCommand, type BatchResult } from "../remote/transport";
import { posix } from "node:path";

export interface InstalledCheck {
  installed: Array<{ name: string; version: string; sha256?: string }>;
  bootstrap: Array<{ name: string; version: string }>;
  checks: { pipCheck: boolean; installedSet: boolean; reportHashes: boolean; record: { checked: number; findings: number }; smoke: boolean | null };
}

/**
 * Runs the smoke code (argv[1]) as `python -c` would, with its stderr on stdout: a batch shares
 * one stderr between its commands, and a failing smoke test must show its own traceback.
 */
const SMOKE_WRAPPER =
  "import os, sys\n" +
  "os.dup2(1, 2)\n" +
  "sys.stderr = sys.stdout\n" +
  "code = sys.argv.pop(1)\n" +
  "exec(compile(code, '<smoke>', 'exec'), {'__name__': '__main__', '__builtins__': __builtins__})\n";

/**
 * `pip check`, then `pip inspect` into `inspectOut`, in ONE start of the venv's interpreter
 * (zwh_deploy.py pip-verify runs pip's own commands in-process: each separate pip start costs
 * mostly the import of pip). Only when pip is driven from the base interpreter with --python
 * (no runner path known) do they run as two pip commands. Returns the batch commands and the
 * reader of their results (the caller puts them in the batch after the RECORD re-hash).
 */
function pipCheckAndInspect(ops: TargetOps, pip: string[], inspectOut: string): {
  cmds: BatchCommand[];
  read: (res: BatchResult[]) => { check: { ok: boolean; output: string }; inspect: { ok: boolean; stderr: string } };
} {
  const vpy = pip[0];
  const viaRunner = pip.length === 2; // [<venv>/bin/python, <pip dir>/__pip-runner__.py]
  const venvPip = pip.length === 3 && pip[1] === "-m" && pip[2] === "pip";
  if (viaRunner || venvPip) {
    const args = ["pip-verify", "--inspect-out", inspectOut, ...(viaRunner ? ["--pip-root", posix.dirname(posix.dirname(pip[1]))] : [])];
    return {
      cmds: [helperArgv(vpy, ops.helpers["zwh_deploy.py"].remotePath, args)],
      read: ([r]) => {
        const j = parseJsonLine(r.stdout);
        if (!j || j.command !== "pip-verify") {
          throw new ZwhError("ZWH-DEPLOY-HELPER", `pip check + inspect printed no result in ${inspectOut} on ${ops.host} (exit ${r.code}): ${r.stdout.slice(-500)}`, { subject: vpy });
        }
        const c = (j.check ?? {}) as Record<string, unknown>;
        const i = (j.inspect ?? {}) as Record<string, unknown>;
        return {
          check: { ok: c.exitCode === 0, output: `${String(c.stdout ?? "")}${String(c.stderr ?? "")}` },
          inspect: { ok: i.exitCode === 0, stderr: String(i.stderr ?? "") },
        };
      },
    };
  }
  const common = ["--isolated", "--disable-pip-version-check", "--no-input"];
  return {
    cmds: [
      [...pip, "check", ...common],
      ops.helperArgv("zwh_deploy.py", ["run-to-file", "--out", inspectOut, "--", ...pip, "inspect", "--local", "--isolated", "--disable-pip-version-check"]),
    ],
    read: (res) => {
      const j = parseJsonLine(res[1].stdout);
      return { check: { ok: res[0].code === 0, output: res[0].stdout }, inspect: { ok: res[1].code === 0, stderr: String(j?.stderr ?? res[1].stdout) } };
    },
  };
}

/** The last lines of a command's output (at most 20 lines / 2,000 characters). */
export function outputTail(text: string): string {
  const lines = text.replace(/\s+$/, "").split("\n").slice(-20).join("\n");
  return lines.length > 2000 ? lines.slice(-2000) : lines;
}

export async function verifyInstalled(
  ops: TargetOps, rdir: string, vb: Pick<VerifiedBundle, "wheels">,
  opts: { smoke?: string; bootstrapAllowed: string[]; /** pip's argv prefix (default `<venv>/bin/python -m pip`) */ pip?: string[] },
): Promise<InstalledCheck> {
  const vpy = `${rdir}/venv/bin/python`;
  const pip = opts.pip ?? [vpy, "-m", "pip"];
  const env = pipEnv(ops.layout);
  // One exec, in order, each command only if the one before succeeded: first the RECORD re-hash
  // and the installed-file check, with the BASE interpreter isolated and without site (-I -S): no
  // interpreter that processes the new release's site-packages (and so its .pth start-up hooks)
  // runs before the installed tree matches RECORD. Only then the venv's Python: pip check + pip
  // inspect, then the smoke import (it may write __pycache__, so after the re-hash).
  const recArgv = ops.helperArgv("zwh_target.py", ["record-verify", "--venv", `${rdir}/venv`], ISOLATED);
  const inspectOut = `${rdir}/pip-inspect.json`;
  const pv = pipCheckAndInspect(ops, pip, inspectOut);
  const smokeCmds: BatchCommand[] = opts.smoke ? [[vpy, "-c", SMOKE_WRAPPER, opts.smoke]] : [];
  const res = await ops.batch([recArgv, ...pv.cmds, ...smokeCmds], { label: `record-verify (isolated), pip check + inspect${opts.smoke ? ", smoke" : ""}`, env, stopAtFailure: true });
  const rec = res[0];
  const rvEarly = parseJsonLine(rec.stdout);
  if (rec.code !== 0 || rvEarly?.ok !== true) return recordMismatch(ops, rdir, rvEarly);
  const pr = pv.read(res.slice(1, 1 + pv.cmds.length));
  const rr = res.slice(1 + pv.cmds.length);
  if (!pr.check.ok) {
    throw new ZwhError("ZWH-DEPLOY-PIP-CHECK", `pip check failed in ${rdir} on ${ops.host}: ${pr.check.output.trim().split("\n").slice(-5).join("; ")}`, {
      subject: rdir, details: { output: pr.check.output.slice(-4000) },
      hint: "The bundle's set is not consistent on this target. Nothing was activated.",
    });
  }
  if (!pr.inspect.ok) {
    throw new ZwhError("ZWH-DEPLOY-PIP-INSPECT", `pip inspect failed in ${rdir} on ${ops.host}: ${pr.inspect.stderr.slice(-500)}`, { subject: rdir });
  }
  const rv = rvEarly;
  let smoke: boolean | null = null;
  if (opts.smoke) {
    const sm = rr[0];
    if (sm.code !== 0) {
      const tail = outputTail(sm.stdout);
      throw new ZwhError("ZWH-DEPLOY-SMOKE", `the smoke test (${opts.smoke}) failed in the new release on ${ops.host} (exit ${sm.code})` +
        (tail ? `; its output ends:\n${tail}` : " with no output"), {
        subject: rdir, details: { exitCode: sm.code, output: tail },
        hint: "Nothing was activated. The output above is the smoke code's (stdout and stderr, last lines).",
      });
    }
    smoke = true;
  }

  const [report, inspect] = (await Promise.all([ops.readJson(`${rdir}/install-report.json`), ops.readJson(inspectOut)])) as [Record<string, unknown>, Record<string, unknown>];
  const want = new Map(vb.wheels.map((w) => [normalizeName(w.name), w]));

  // install report: the archive hash pip saw for each package equals the manifest's.
  const badHash: string[] = [];
  for (const it of (report.install ?? []) as Array<Record<string, unknown>>) {
    const md = (it.metadata ?? {}) as Record<string, unknown>;
    const n = normalizeName(String(md.name ?? ""));
    const ai = ((it.download_info as Record<string, unknown> | undefined)?.archive_info ?? {}) as Record<string, unknown>;
    const sha = ((ai.hashes as Record<string, string> | undefined)?.sha256) ?? (typeof ai.hash === "string" && ai.hash.startsWith("sha256=") ? ai.hash.slice(7) : undefined);
    const w = want.get(n);
    if (!w) badHash.push(`${n} (not in the manifest)`);
    else if (sha !== w.sha256) badHash.push(`${n} (report sha256 ${sha ?? "none"})`);
  }

  const installed: InstalledCheck["installed"] = [];
  const bootstrap: InstalledCheck["bootstrap"] = [];
  const extra: string[] = [];
  const seen = new Set<string>();
  for (const it of (inspect.installed ?? []) as Array<Record<string, unknown>>) {
    const md = (it.metadata ?? {}) as Record<string, unknown>;
    const name = String(md.name ?? "");
    const n = normalizeName(name);
    const version = String(md.version ?? "");
    const w = want.get(n);
    if (w) {
      seen.add(n);
      if (w.version !== version) extra.push(`${name} ${version} (manifest has ${w.version})`);
      else installed.push({ name: w.name, version, sha256: w.sha256 });
    } else if (opts.bootstrapAllowed.includes(n)) {
      bootstrap.push({ name: n, version });
    } else {
      extra.push(`${name} ${version} (not in the manifest)`);
    }
  }
  const missing = [...want.keys()].filter((n) => !seen.has(n));
  if (extra.length || missing.length || badHash.length) {
    throw refusal("ZWH-DEPLOY-INSTALLED-SET", `the installed set in ${rdir} on ${ops.host} differs from the signed manifest: ${[
      ...missing.map((m) => `missing ${m}`), ...extra.map((x) => `unexpected ${x}`), ...badHash.map((x) => `hash ${x}`),
    ].slice(0, 8).join("; ")}`, { subject: rdir, details: { missing, extra, badHash }, hint: "Nothing was activated." });
  }
  installed.sort((a, b) => a.name.localeCompare(b.name));
  bootstrap.sort((a, b) => a.name.localeCompare(b.name));
  return {
    installed, bootstrap,
    checks: { pipCheck: true, installedSet: true, reportHashes: true, record: { checked: Number(rv.checked ?? 0), findings: 0 }, smoke },
  };
}

function recordMismatch(ops: TargetOps, rdir: string, rv: Record<string, unknown> | undefined): never {
  const findings = (rv?.findings ?? []) as Array<Record<string, unknown>>;
  throw refusal("ZWH-DEPLOY-RECORD-MISMATCH", `${findings.length} installed file finding(s) in ${rdir} on ${ops.host}: ${findings.slice(0, 5).map((f) => `${String(f.kind)} ${String(f.path)}`).join(", ")}`, {
    subject: rdir, details: { findings: findings.slice(0, 200), counts: rv?.counts },
    hint: "Installed files differ from their RECORD. Nothing was activated, and the release's Python was never started.",
  });
}
