/**
 * Messages in the words of the CLI in use. Errors, hints and reports are written once, in zwh's
 * words ('zwh deploy', --identity, --password-env...), because most of them come from layers that
 * do not know which CLI hosts them. Under the Zowe plugin the same text is rewritten here, at the
 * one place both CLIs pass through (invoke), so a Zowe user is told `zowe wh …` and the ssh
 * profile's properties, never a zwh-only flag that `zowe wh` would reject.
 */
import { ZwhError } from "../../core/errors";

export type CliHost = "zwh" | "zowe";

/** [zwh wording, Zowe wording]; the longer, more specific phrases first. */
const ZOWE_WORDS: Array<[RegExp, string]> = [
  [/Give --host and --user \(or use a Zowe ssh profile\)\./g, "Give --ssh-profile NAME (an ssh profile with host and user), or --host and --user."],
  [/\(same target options and --root\)/g, "(same --ssh-profile and --root)"],
  [/Give --identity KEYFILE, start ssh-agent \(SSH_AUTH_SOCK\), or --password-env VAR\./g,
    "Set privateKey (or a secure password) in the ssh profile, or start ssh-agent (SSH_AUTH_SOCK)."],
  [/, or give --password-env\./g, ", or store the password in the ssh profile (zowe config secure)."],
  [/Put the passphrase in an environment variable and name it with --passphrase-env \(or load the key into ssh-agent\)\./g,
    "Store keyPassphrase in the ssh profile (zowe config secure, or ZOWE_OPT_KEY_PASSPHRASE), or load the key into ssh-agent."],
  [/Check the --identity path and that this user can read it\./g, "Check the ssh profile's privateKey path (--privateKey) and that this user can read it."],
  [/Point --identity at the private key file/g, "Point the ssh profile's privateKey at the private key file"],
  [/Check the --known-hosts path and its permissions\./g, "Check ~/.ssh/known_hosts and its permissions, or pin the key in the ssh profile (hostKey)."],
  [/--profile\/--wheelhouse-profile/g, "--ssh-profile/--wheelhouse-profile"],
  [/\bzwh (?=[a-z])/g, "zowe wh "],
];

/** text in the words of `host` (unchanged for zwh). */
export function inCliWords(text: string, host: CliHost): string {
  if (host === "zwh") return text;
  let out = text;
  for (const [re, to] of ZOWE_WORDS) out = out.replace(re, to);
  return out;
}

/** The same error in the words of `host` (code, subject, details and exit code unchanged). */
export function errorInCliWords(err: ZwhError, host: CliHost): ZwhError {
  if (host === "zwh") return err;
  const message = inCliWords(err.message, host);
  const hint = err.hint === undefined ? undefined : inCliWords(err.hint, host);
  if (message === err.message && hint === err.hint) return err;
  const copy = new ZwhError(err.code, message, {
    subject: err.subject, hint, details: err.details, exitCode: err.exitCode, transient: err.transient, cause: err.cause,
  });
  copy.stack = err.stack;
  return copy;
}

/** A --json/--rfj object with every string in the words of `host`. */
export function dataInCliWords<T>(data: T, host: CliHost): T {
  if (host === "zwh") return data;
  const walk = (v: unknown, key?: string): unknown => {
    // Only prose: paths, ids and hashes are never rewritten (a path may well contain "zwh ").
    if (typeof v === "string") return key === "message" || key === "hint" ? inCliWords(v, host) : v;
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(data) as T;
}
