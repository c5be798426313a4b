/**
 * The on-target layout of one install root, and the rules for names we create there.
 *
 *   <root>/current  -> releases/<id>        the active release (swapped with rename(2))
 *   <root>/previous -> releases/<id>        the release before it (rollback default)
 *   <root>/releases/<id>/                   venv/, wheels/ (symlinks into the store),
 *                                           requirements.lock.txt, manifest.*, reports, receipt.json
 *   <root>/store/sha256/<hex>/<filename>    content-addressed wheel store (zwh_target.py store-commit)
 *   <root>/.wheelhouse/helpers/             content-addressed helper scripts (tagged ISO8859-1)
 *   <root>/.wheelhouse/staging/<run>/       uploads in flight (pre-tagged binary; never final names)
 *   <root>/.wheelhouse/lock/owner.json      the deployment lock (mkdir is the atomic step)
 *   <root>/.wheelhouse/trust.json           trust anchors the target checks signatures with
 *   <root>/.wheelhouse/target-env.json      cached probe facts, keyed by the interpreter fingerprint
 *   <root>/.wheelhouse/audit.log            append-only JSON lines
 *   <root>/.wheelhouse/home/                HOME for pip (writable, never the user's /u/...)
 */
import { ZwhError } from "../core/errors";

export interface RootLayout {
  root: string;
  wh: string;
  helpers: string;
  stagingBase: string;
  trust: string;
  allowedSigners: string;
  envCache: string;
  home: string;
  store: string;
  releases: string;
  current: string;
  previous: string;
}

/** Reject roots we cannot pass literally and safely everywhere (shell, pip, venv, Python). */
export function checkRoot(root: unknown): string {
  if (typeof root !== "string" || root === "") {
    throw new ZwhError("ZWH-ARGS-MISSING", "missing --root: the install root directory on the target", {
      hint: "Give --root /absolute/dir on the z/OS UNIX file system (e.g. /u/ibmuser/wheelhouse).",
    });
  }
  if (!root.startsWith("/")) {
    throw new ZwhError("ZWH-ARGS-INVALID", `--root must be an absolute path on the target (got ${JSON.stringify(root)})`, { subject: root });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(root)) {
    throw new ZwhError("ZWH-DEPLOY-ROOT-INVALID", `--root contains a control character (newline, tab...) and is refused: ${JSON.stringify(root)}`, {
      subject: JSON.stringify(root),
      hint: "Use a directory name without control characters. Spaces, quotes and shell metacharacters are fine.",
    });
  }
  const norm = root.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
  if (norm === "/") throw new ZwhError("ZWH-ARGS-INVALID", "--root must not be / itself", { subject: root });
  if (norm.split("/").some((c) => c === ".." || c === ".")) {
    throw new ZwhError("ZWH-ARGS-INVALID", `--root must not contain . or .. components (got ${root})`, { subject: root });
  }
  return norm;
}

export function layoutFor(root: string): RootLayout {
  const wh = `${root}/.wheelhouse`;
  return {
    root,
    wh,
    helpers: `${wh}/helpers`,
    stagingBase: `${wh}/staging`,
    trust: `${wh}/trust.json`,
    allowedSigners: `${wh}/allowed_signers`,
    envCache: `${wh}/target-env.json`,
    home: `${wh}/home`,
    store: `${root}/store`,
    releases: `${root}/releases`,
    current: `${root}/current`,
    previous: `${root}/previous`,
  };
}

export function releaseDir(l: RootLayout, id: string): string {
  return `${l.releases}/${checkReleaseId(id)}`;
}

export function storePath(l: RootLayout, sha256: string, filename: string): string {
  return `${l.store}/sha256/${sha256}/${filename}`;
}

const RELEASE_ID = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

export function checkReleaseId(id: string): string {
  if (!RELEASE_ID.test(id)) {
    throw new ZwhError("ZWH-DEPLOY-RELEASE-ID", `invalid release id ${JSON.stringify(id)}`, {
      subject: id,
      hint: "Release ids are <bundleId>-<12 hex of the statement digest>: letters, digits, '.', '_', '+', '-'.",
    });
  }
  return id;
}

/** Deterministic release id: the same bundle always maps to the same release directory. */
export function releaseIdFor(bundleId: string, statementDigest: string): string {
  const hex = statementDigest.replace(/^sha256:/, "");
  const safe = bundleId.replace(/[^A-Za-z0-9._+-]/g, "_").replace(/^[^A-Za-z0-9]+/, "").slice(0, 120) || "bundle";
  return checkReleaseId(`${safe}-${hex.slice(0, 12)}`);
}

/**
 * Environment of every pip call on the target: no pip configuration file at all (read even in
 * --isolated mode), HOME and caches under the install root (the user's HOME may be read-only or
 * tiny on z/OS), no user site-packages.
 */
export function pipEnv(l: RootLayout): Record<string, string> {
  return { PIP_CONFIG_FILE: "/dev/null", HOME: l.home, PYTHONNOUSERSITE: "1" };
}
