/**
 * The z/OS environment block exported at the start of EVERY exec.
 *
 * z/OS sshd accepts no client environment (AcceptEnv is empty by default) and exec channels do
 * not source /etc/profile or ~/.profile, so each command string carries its own settings:
 *
 *   _BPXK_AUTOCVT=ON                         convert tagged files EBCDIC<->ASCII
 *   _CEE_RUNOPTS='FILETAG(AUTOCVT,AUTOTAG) POSIX(ON)'
 *   _TAG_REDIR_IN/OUT/ERR=txt                tag redirect targets as text
 *   LANG=C
 *   PATH=<pyz>/bin:"${PATH:-/bin:/usr/bin}"
 *   LIBPATH=<pyz>/lib"${LIBPATH:+:$LIBPATH}"
 *   + TargetSpec.extraEnv (site settings, exported last so they can override the above)
 *
 * PATH: the sshd's own default PATH is kept (expanded by the REMOTE shell), with the Python
 * SDK's bin directory in front. A hard-coded list would differ per site and, on the simulator,
 * would bypass its restricted PATH. If PATH is empty or unset the POSIX default /bin:/usr/bin
 * is used, so the result never ends in an empty element (which would mean "current directory").
 * LIBPATH likewise gets no trailing empty element.
 *
 * Not exported: PYTHONSTDINENCODING (Wheelhouse never pipes Python source on stdin; helpers are
 * uploaded, tagged files) and PIP_CONFIG_FILE (pip-specific; the pip runner sets it on its own
 * command line). HOME is left as sshd set it.
 */
import { shAssign, shQuote } from "./quote";

export interface EnvBlockOptions {
  /** Target Python interpreter path; its <pyz>/bin and <pyz>/lib are put on PATH/LIBPATH. */
  pythonPath?: string;
  extraEnv?: Record<string, string>;
}

/** "<pyz>" for ".../pyz/bin/python3" (the directory above the interpreter's bin/). */
export function pythonHome(pythonPath: string): string | undefined {
  const m = /^(\/.*)\/bin\/[^/]+$/.exec(pythonPath);
  return m ? m[1] : undefined;
}

/** The fixed z/OS variables, in export order. */
export const ZOS_ENV: ReadonlyArray<[string, string]> = [
  ["_BPXK_AUTOCVT", "ON"],
  ["_CEE_RUNOPTS", "FILETAG(AUTOCVT,AUTOTAG) POSIX(ON)"],
  ["_TAG_REDIR_IN", "txt"],
  ["_TAG_REDIR_OUT", "txt"],
  ["_TAG_REDIR_ERR", "txt"],
  ["LANG", "C"],
];

/** The assignments (without `export`), each safely quoted. */
export function envAssignments(opts: EnvBlockOptions = {}): string[] {
  const out = ZOS_ENV.map(([k, v]) => shAssign(k, v));
  const home = opts.pythonPath ? pythonHome(opts.pythonPath) : undefined;
  if (home) {
    out.push(`PATH=${shQuote(home + "/bin")}:"\${PATH:-/bin:/usr/bin}"`);
    out.push(`LIBPATH=${shQuote(home + "/lib")}"\${LIBPATH:+:\$LIBPATH}"`);
  }
  for (const [k, v] of Object.entries(opts.extraEnv ?? {})) out.push(shAssign(k, v));
  return out;
}

/** The prefix put in front of every remote command: `export A=... B=...; `. */
export function envBlock(opts: EnvBlockOptions = {}): string {
  return `export ${envAssignments(opts).join(" ")}; `;
}

/** `export A=... B=...; ` for extra variables, or "" when there are none. */
export function exportPrefix(env: Record<string, string>): string {
  const a = Object.entries(env).map(([k, v]) => shAssign(k, v));
  return a.length > 0 ? `export ${a.join(" ")}; ` : "";
}
