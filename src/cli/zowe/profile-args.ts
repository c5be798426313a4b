/**
 * From Zowe profile values to the argument names our handlers use. Used by the plugin's shared
 * handler (merged imperative arguments) and by zwh (ProfileInfo), so both read a profile the
 * same way.
 *
 * ssh profile / connection options        handler argument (as zwh's flags produce them)
 *   host, port, user                   ->   host, port, user
 *   privateKey (file path)             ->   identity
 *   hostKey (base64 blob or SHA256:…)  ->   hostKey
 *   handshakeTimeout (ms)              ->   handshakeTimeout
 *   password, keyPassphrase            ->   password, passphrase   (values, in memory only;
 *                                            zwh's --password-env/--passphrase-env name env vars)
 *   insecure: true                     ->   refused (ZWH-PROFILE-INSECURE, exit 3)
 */
import { refusal } from "../../core/errors";

export interface SshProfileValues {
  host?: unknown;
  port?: unknown;
  user?: unknown;
  password?: unknown;
  privateKey?: unknown;
  keyPassphrase?: unknown;
  handshakeTimeout?: unknown;
  hostKey?: unknown;
  insecure?: unknown;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== "";
}

function num(v: unknown): unknown {
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return v;
}

function truthy(v: unknown): boolean {
  return v === true || (typeof v === "string" && /^(true|yes|1)$/i.test(v));
}

/**
 * Handler arguments for the connection. `source` names where the values came from, for the
 * error message (e.g. "ssh profile 'lpar1'").
 *
 * Wheelhouse always verifies the host key (against the pinned hostKey, else known_hosts), so an
 * `insecure: true` is refused rather than ignored: silently verifying anyway would make a
 * working `zowe ssh` profile fail later with a less clear host-key error, and honouring it would
 * let a forged host receive credentials and wheels.
 */
export function sshTargetArgs(v: SshProfileValues, source = "the ssh profile"): Record<string, unknown> {
  if (truthy(v.insecure)) {
    throw refusal("ZWH-PROFILE-INSECURE", `${source} sets insecure: true, but Wheelhouse always verifies the host key`, {
      subject: source,
      hint:
        "Pin the server's key instead: set hostKey in the ssh profile to the base64 key (what core Zowe stores and " +
        "checks; a 'SHA256:...' fingerprint works for Wheelhouse only), or add the host to ~/.ssh/known_hosts, and remove insecure from the profile. " +
        "For one command, '--insecure false' overrides the profile.",
    });
  }
  const out: Record<string, unknown> = {};
  if (present(v.host)) out.host = v.host;
  if (present(v.port)) out.port = num(v.port);
  if (present(v.user)) out.user = v.user;
  if (present(v.privateKey)) out.identity = v.privateKey;
  if (present(v.hostKey)) out.hostKey = v.hostKey;
  if (present(v.handshakeTimeout)) out.handshakeTimeout = num(v.handshakeTimeout);
  if (present(v.password)) out.password = v.password;
  if (present(v.keyPassphrase)) out.passphrase = v.keyPassphrase;
  return out;
}

/**
 * Handler arguments for --transport zosmf from a zosmf profile (and, for a token, the base
 * profile, as Zowe does behind the API ML):
 *   host, port, user, password (in memory only), basePath, rejectUnauthorized
 *     -> zosmfHost, zosmfPort, zosmfUser, zosmfPassword, zosmfBasePath, zosmfRejectUnauthorized
 *   tokenType, tokenValue (zosmf or base profile) -> zosmfTokenType, zosmfTokenValue
 */
export function zosmfTargetArgs(v: Record<string, unknown>, base: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const pick = (k: string) => (present(v[k]) ? v[k] : present(base[k]) ? base[k] : undefined);
  for (const [k, arg] of [["host", "zosmfHost"], ["user", "zosmfUser"], ["password", "zosmfPassword"], ["basePath", "zosmfBasePath"],
    ["tokenType", "zosmfTokenType"], ["tokenValue", "zosmfTokenValue"]] as const) {
    const val = pick(k);
    if (val !== undefined) out[arg] = val;
  }
  const port = pick("port");
  if (port !== undefined) out.zosmfPort = num(port);
  const ru = pick("rejectUnauthorized");
  if (ru !== undefined) out.zosmfRejectUnauthorized = !(ru === false || (typeof ru === "string" && /^(false|no|0)$/i.test(ru)));
  return out;
}
