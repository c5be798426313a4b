/** Operations on one release directory of the target: create its venv, re-check it, activate it. */
import { refusal, ZwhError } from "../core/errors";
import { textTagTestArgv } from "../remote/tags";
import { lockLostError, type LockKeeper } from "./lock-keeper";
import { isSequenceRefusal, targetRefusal } from "./sequence-guard";
import { hostLabel } from "../remote/target";
import { pipEnv } from "./layout";
import type { HelperResult, TargetOps } from "./target-ops";
import { PIP_PYTHON_OPTION_MIN } from "./types";

/**
 * Python run by the interpreter to report its pip: `zwh-pip-version=<version>` and
 * `zwh-pip-runner=<pip dir>/__pip-runner__.py` (empty when pip is not a directory, e.g. a zip).
 */
export const PIP_PROBE =
  "import os, pip; r = os.path.join(os.path.dirname(os.path.realpath(pip.__file__)), '__pip-runner__.py'); " +
  "print('zwh-pip-version=' + pip.__version__); print('zwh-pip-runner=' + (r if os.path.isfile(r) else ''))";

/**
 * Create the release venv WITHOUT pip (no ensurepip: that was ~3 s of every install on the
 * simulator, unpacking and byte-compiling pip into each release) and pick the pip to run:
 * - the target interpreter's own pip when it is >= 22.3, run by the venv's interpreter through
 *   pip's runner file: `<venv>/bin/python <pip dir>/__pip-runner__.py …`. That is exactly the
 *   child `pip --python <venv>/bin/python` starts, without the parent interpreter that only
 *   re-executes it (one Python start per pip call instead of two). pip installs into, checks and
 *   inspects the venv; the installed set is exactly the manifest, no bootstrap packages.
 *   (>= 22.3 without a runner file, e.g. pip in a zip: `<python> -m pip --python <venv>/bin/python`.)
 * - else (no pip, older pip, unparsable version): bootstrap pip into the venv as `python -m venv`
 *   would (`<venv>/bin/python -m ensurepip --upgrade --default-pip`) and use `<venv>/bin/python -m pip`.
 * One exec for venv + version probe (+ one for the fallback). Returns pip's argv prefix.
 */
export async function createVenv(ops: TargetOps, venv: string, keeper?: LockKeeper): Promise<string[]> {
  const venvArgv = [ops.python, "-m", "venv", "--without-pip", venv];
  // The version probe runs the way pip will run (same env, `python -m`-style sys.path). The lock's
  // heartbeat before the long pip step rides in the same exec (the caller checks it before pip).
  // pip's HOME (layout.home, private) is created in the same exec.
  const all = await ops.batch([...(keeper ? [keeper.beatArgv()] : []), ["mkdir", "-p", "-m", "700", ops.layout.home], venvArgv, [ops.python, "-c", PIP_PROBE]], {
    label: `${keeper ? "lock heartbeat + " : ""}python -m venv --without-pip + pip version`, env: pipEnv(ops.layout),
  });
  if (keeper) keeper.noteBeat(all[0]);
  const [mk, ...res] = keeper ? all.slice(1) : all;
  if (mk.code !== 0) throw new ZwhError("ZWH-REMOTE-COMMAND", `creating pip's home ${ops.layout.home} failed on ${ops.host} (mkdir exit ${mk.code})`, { subject: ops.layout.home });
  // A batch keeps stdout only: on failure run venv again alone for its exit code and stderr.
  if (res[0].code !== 0) await ops.session.execChecked(venvArgv, { label: "python -m venv --without-pip" });
  const vpy = `${venv}/bin/python`;
  const m = res[1].code === 0 ? /zwh-pip-version=(\d+)\.(\d+)/.exec(res[1].stdout) : null;
  const runner = res[1].code === 0 ? /^zwh-pip-runner=(\/.+)$/m.exec(res[1].stdout)?.[1] : undefined;
  const [maj, min] = PIP_PYTHON_OPTION_MIN;
  if (m && (Number(m[1]) > maj || (Number(m[1]) === maj && Number(m[2]) >= min))) {
    return runner ? [vpy, runner] : [ops.python, "-m", "pip", "--python", vpy];
  }
  await ops.session.execChecked([vpy, "-m", "ensurepip", "--upgrade", "--default-pip"], { label: "python -m ensurepip (venv)", childPythonStarts: 1 });
  return [vpy, "-m", "pip"];
}

/**
 * Switch `current` to `releaseId` (zwh_target.py activate: previous := current, rename(2)), only
 * if `current` still points where it did when observed, the lock is still `guard.lockId` and the
 * release's statement is not older than the target accepted (unless `guard.allowDowngrade`); the
 * helper checks both under its guard, with the swap. Refused with the helper's code, else `fallbackCode`.
 */
export async function activateRelease(
  ops: TargetOps, releaseId: string, expectCurrent: string | null, fallbackCode: string,
  guard: { lockId: string; allowDowngrade?: boolean; /** A text file just written: activate only if its tag is still right (same exec). */ textFile?: string },
): Promise<Record<string, unknown>> {
  const args = ["activate", "--root", ops.layout.root, "--release", releaseId, "--expect-current", expectCurrent ?? "none", "--lock-id", guard.lockId];
  if (guard.allowDowngrade) args.push("--allow-downgrade");
  let r: HelperResult;
  if (guard.textFile) {
    const res = await ops.batch([textTagTestArgv(guard.textFile), ops.helperArgv("zwh_target.py", args)], { label: "ls -T + activate", stopAtFailure: 1 });
    if (res[0].code !== 0) {
      ops.checkTagListing(res[0].stdout, [{ path: guard.textFile, kind: "text" }]); // throws ZWH-DEPLOY-TAG naming the tag
      throw new ZwhError("ZWH-DEPLOY-TAG", `the tag of ${guard.textFile} on ${ops.host} could not be read (exit ${res[0].code}); nothing was activated`, { subject: guard.textFile });
    }
    r = ops.helperOutcome("zwh_target.py", args, res[1], [0, 3]);
  } else {
    r = await ops.helper("zwh_target.py", args, { label: "activate" });
  }
  if (r.code !== 0) {
    const err = (r.json.error ?? {}) as Record<string, unknown>;
    if (err.code === "ZWH-LOCK-LOST") throw lockLostError(ops.host, ops.layout.root, guard.lockId, (err.owner ?? null) as Record<string, unknown> | null, "activate");
    if (isSequenceRefusal(err.code)) throw targetRefusal(ops.host, ops.layout.root, err, "zwh");
    throw refusal(String(err.code ?? fallbackCode), `activation on ${hostLabel(ops.session.spec)} was refused: ${String(err.message ?? "")}`, { subject: ops.layout.root, details: { helper: r.json } });
  }
  return r.json;
}

/** Re-check an existing release (venv, receipt, every installed file against RECORD); ZWH-RELEASE-BROKEN if not intact. */
export async function inspectRelease(ops: TargetOps, releaseId: string): Promise<Record<string, unknown>> {
  const r = await ops.helper("zwh_target.py", ["inspect-release", "--root", ops.layout.root, "--release", releaseId, "--verify-record"], { label: "inspect-release" });
  if (r.code !== 0) {
    const checks = ((r.json.checks ?? []) as Array<Record<string, unknown>>).filter((c) => !c.ok);
    const rec = r.json.record as Record<string, unknown> | null;
    const findings = ((rec?.findings ?? []) as Array<Record<string, unknown>>).slice(0, 5).map((f) => `${String(f.kind)} ${String(f.path)}`);
    throw refusal("ZWH-RELEASE-BROKEN", `release ${releaseId} on ${ops.host} is not intact: ${[...checks.map((c) => `${String(c.name)}${c.detail ? ` (${String(c.detail)})` : ""}`), ...findings].join("; ")}`, {
      subject: releaseId,
      details: { checks: r.json.checks, record: rec },
      hint: "Deploy the bundle again to rebuild it, or choose another release.",
    });
  }
  return r.json;
}
