/** Operations on one release directory of the target: create its venv, re-check it, activate it. */
import { refusal } from "../core/errors";
import { hostLabel } from "../remote/target";
import { pipEnv } from "./layout";
import type { TargetOps } from "./target-ops";
import { PIP_PYTHON_OPTION_MIN } from "./types";

/**
 * Create the release venv WITHOUT pip (no ensurepip: that was ~3 s of every install on the
 * simulator, unpacking and byte-compiling pip into each release) and pick the pip to run:
 * - the target interpreter's own pip when it is >= 22.3: `<python> -m pip --python <venv>/bin/python`
 *   (pip re-runs itself under the venv's interpreter, so it installs into, checks and inspects
 *   the venv); the installed set is then exactly the manifest, no bootstrap packages;
 * - else (no pip, older pip, unparsable version): bootstrap pip into the venv as `python -m venv`
 *   would (`<venv>/bin/python -m ensurepip --upgrade --default-pip`) and use `<venv>/bin/python -m pip`.
 * One exec for venv + version probe (+ one for the fallback). Returns pip's argv prefix.
 */
export async function createVenv(ops: TargetOps, venv: string): Promise<string[]> {
  const venvArgv = [ops.python, "-m", "venv", "--without-pip", venv];
  // The version probe runs the way pip will run (same env, `python -m`-style sys.path).
  const res = await ops.batch([venvArgv, [ops.python, "-c", "import pip; print('zwh-pip-version=' + pip.__version__)"]], {
    label: "python -m venv --without-pip + pip version", env: pipEnv(ops.layout),
  });
  // A batch keeps stdout only: on failure run venv again alone for its exit code and stderr.
  if (res[0].code !== 0) await ops.session.execChecked(venvArgv, { label: "python -m venv --without-pip" });
  const vpy = `${venv}/bin/python`;
  const m = res[1].code === 0 ? /zwh-pip-version=(\d+)\.(\d+)/.exec(res[1].stdout) : null;
  const [maj, min] = PIP_PYTHON_OPTION_MIN;
  if (m && (Number(m[1]) > maj || (Number(m[1]) === maj && Number(m[2]) >= min))) return [ops.python, "-m", "pip", "--python", vpy];
  await ops.session.execChecked([vpy, "-m", "ensurepip", "--upgrade", "--default-pip"], { label: "python -m ensurepip (venv)" });
  return [vpy, "-m", "pip"];
}

/**
 * Switch `current` to `releaseId` (zwh_target.py activate: previous := current, rename(2)), only
 * if `current` still points where it did when observed. Refused with the helper's code, else `fallbackCode`.
 */
export async function activateRelease(ops: TargetOps, releaseId: string, expectCurrent: string | null, fallbackCode: string): Promise<Record<string, unknown>> {
  const r = await ops.helper("zwh_target.py", ["activate", "--root", ops.layout.root, "--release", releaseId, "--expect-current", expectCurrent ?? "none"], { label: "activate" });
  if (r.code !== 0) {
    const err = (r.json.error ?? {}) as Record<string, unknown>;
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
