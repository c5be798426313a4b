/**
 * From command arguments (targetOptions in src/cli/defs/options.ts, camelCase) to a TargetSpec.
 *
 * Secrets never come from the command line: --password-env / --passphrase-env NAME the
 * environment variables that hold them. A literal `password` / `passphrase` argument is accepted
 * only when the caller says it came from a profile's secure store (the Zowe plugin merges ssh
 * profile values into the arguments in memory); otherwise it is refused (ZWH-ARGS-SECRET).
 */
import { homedir } from "os";
import { ZwhError } from "../core/errors";
import { isValidHostName } from "../core/host-name";
import { DEFAULT_PYTHON, type TargetSpec } from "./target";

export interface TargetArgsOptions {
  /** `password`/`passphrase` argument values come from a profile's secure store, not argv. */
  secretsFromProfile?: boolean;
}

function str(args: Record<string, unknown>, k: string): string | undefined {
  const v = args[k];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") {
    throw new ZwhError("ZWH-ARGS-INVALID", `--${kebab(k)} must be a string`, { subject: kebab(k) });
  }
  return v;
}

function num(args: Record<string, unknown>, k: string, min: number): number | undefined {
  const v = args[k];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new ZwhError("ZWH-ARGS-INVALID", `--${kebab(k)} must be an integer >= ${min} (got ${String(v)})`, { subject: kebab(k) });
  }
  return n;
}

function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

function expandHome(p: string): string {
  return p === "~" ? homedir() : p.startsWith("~/") ? homedir() + p.slice(1) : p;
}

function fromEnv(env: NodeJS.ProcessEnv, option: string, name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new ZwhError("ZWH-ARGS-INVALID", `--${option} takes the NAME of an environment variable, not a value`, {
      subject: option,
      hint: `export MY_VAR=...; then pass --${option} MY_VAR.`,
    });
  }
  const v = env[name];
  if (v === undefined || v === "") {
    throw new ZwhError("ZWH-ARGS-ENV", `environment variable ${name} (named by --${option}) is not set`, {
      subject: name,
      hint: `Set ${name} in the environment of this command.`,
    });
  }
  return v;
}

/**
 * --env NAME=VALUE... (or the wheelhouse profile's `environment` object, which the profile layer
 * turns into the same list) -> TargetSpec.extraEnv. Names must be shell variable names (e.g.
 * LIBPATH, _BPXK_JOBLOG); the value is everything after the first "=" and may be empty or
 * contain spaces and quotes: the env block quotes it (src/remote/env-block.ts). A repeated name:
 * the last value wins, as it would in a shell.
 */
function envPairs(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  const out: Record<string, string> = {};
  for (const item of list) {
    if (typeof item !== "string") {
      throw new ZwhError("ZWH-ARGS-INVALID", "--env takes NAME=VALUE strings", { subject: "env" });
    }
    const eq = item.indexOf("=");
    const name = eq > 0 ? item.slice(0, eq) : item;
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ZwhError("ZWH-ARGS-INVALID", `--env needs NAME=VALUE with a shell variable name (got ${JSON.stringify(item.slice(0, 80))})`, {
        subject: "env",
        hint: "e.g. --env LIBPATH=/usr/lib/site _BPXK_JOBLOG=STDERR (letters, digits and _, not starting with a digit).",
      });
    }
    const value = item.slice(eq + 1);
    if (value.includes("\0")) throw new ZwhError("ZWH-ARGS-INVALID", `--env ${name}: the value contains a NUL byte`, { subject: "env" });
    out[name] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Settings shared by both transports: timeouts, extra environment, the target's Python. */
function commonSettings(spec: TargetSpec, args: Record<string, unknown>): TargetSpec {
  const ct = num(args, "commandTimeout", 0);
  if (ct !== undefined) spec.commandTimeoutMs = ct;
  const extraEnv = envPairs(args.env);
  if (extraEnv) spec.extraEnv = extraEnv;
  // Logical name: --name, else the ssh profile the connection came from (both CLIs put its name
  // in sshProfileName when its values were used).
  const name = str(args, "name");
  const profile = str(args, "sshProfileName");
  for (const [v, what] of [[name, "--name"], [profile, "the ssh profile name"]] as const) {
    if (v !== undefined && !isValidHostName(v)) {
      throw new ZwhError("ZWH-ARGS-INVALID", `${what} ${JSON.stringify(v)} is not a valid host name`, {
        subject: "name",
        hint: "Use letters, digits and . _ - : @ (at most 128 characters, starting with a letter or digit).",
      });
    }
  }
  if (name) Object.assign(spec, { name, nameSource: "name" as const });
  else if (profile) Object.assign(spec, { name: profile, nameSource: "profile" as const });
  if (profile) spec.zoweProfile = profile;
  spec.pythonPath = str(args, "python") ?? DEFAULT_PYTHON;
  if (!spec.pythonPath.startsWith("/")) {
    throw new ZwhError("ZWH-ARGS-INVALID", `--python must be an absolute path on the target (got ${spec.pythonPath})`, { subject: "python" });
  }
  return spec;
}

/**
 * --transport zosmf: z/OSMF connection from zosmf* arguments (zwh flags, or a zosmf profile
 * mapped by zosmfTargetArgs). Secrets: zosmfPassword / zosmfTokenValue only from a profile;
 * on the command line only --zosmf-password-env / --zosmf-token-env (variable names).
 */
function zosmfSpecFromArgs(args: Record<string, unknown>, env: NodeJS.ProcessEnv, opts: TargetArgsOptions): TargetSpec {
  const host = str(args, "zosmfHost");
  if (!host) {
    throw new ZwhError("ZWH-ARGS-MISSING", "--transport zosmf needs a z/OSMF host", {
      hint: "Use a Zowe zosmf profile (--zosmf-profile NAME, or a default zosmf profile in the team config), or give --zosmf-host and --zosmf-user.",
    });
  }
  const port = num(args, "zosmfPort", 1) ?? 443;
  if (port > 65535) throw new ZwhError("ZWH-ARGS-INVALID", `--zosmf-port must be 1-65535 (got ${port})`, { subject: "zosmf-port" });
  const user = str(args, "zosmfUser");
  const z: NonNullable<TargetSpec["zosmf"]> = { host, port, user };
  for (const [literal, envOpt, field] of [["zosmfPassword", "zosmfPasswordEnv", "password"], ["zosmfTokenValue", "zosmfTokenEnv", "tokenValue"]] as const) {
    const lit = args[literal];
    if (lit !== undefined && lit !== null && lit !== "") {
      if (!opts.secretsFromProfile) {
        throw new ZwhError("ZWH-ARGS-SECRET", "a z/OSMF password or token given as a value is refused: command lines end up in shell history and process lists", {
          subject: kebab(literal), hint: `Pass --${kebab(envOpt)} VARNAME, or keep it in the zosmf profile's secure properties.`,
        });
      }
      if (typeof lit !== "string") throw new ZwhError("ZWH-ARGS-INVALID", `${kebab(literal)} must be a string`);
      z[field] = lit;
    }
    const envName = str(args, envOpt);
    if (envName) z[field] = fromEnv(env, kebab(envOpt), envName);
  }
  const tokenType = str(args, "zosmfTokenType");
  if (tokenType) z.tokenType = tokenType;
  const basePath = str(args, "zosmfBasePath");
  if (basePath) z.basePath = basePath;
  const ca = str(args, "zosmfCaFile");
  if (ca) z.caFile = expandHome(ca);
  const ru = args.zosmfRejectUnauthorized;
  if (ru !== undefined && ru !== null) z.rejectUnauthorized = ru !== false;
  const jobName = str(args, "zosmfJobName");
  if (jobName) z.jobName = jobName;
  const jobClass = str(args, "zosmfJobClass");
  if (jobClass) z.jobClass = jobClass;
  const account = str(args, "zosmfJobAccount");
  if (account) z.account = account;
  if (!z.tokenValue && !(user && z.password)) {
    throw new ZwhError("ZWH-ARGS-MISSING", `z/OSMF at ${host}:${port} needs a user and password, or a token`, {
      hint: "Keep them in the zosmf profile (secure store), or give --zosmf-user with --zosmf-password-env VAR (or --zosmf-token-env VAR).",
    });
  }
  // An ssh profile merged in by Zowe does not name a z/OSMF target: only --name does.
  return commonSettings({ host, port, user: user ?? "", transport: "zosmf", zosmf: z }, { ...args, sshProfileName: undefined });
}

export function targetSpecFromArgs(args: Record<string, unknown>, env: NodeJS.ProcessEnv, opts: TargetArgsOptions = {}): TargetSpec {
  const transport = str(args, "transport") ?? "ssh";
  if (transport !== "ssh" && transport !== "zosmf") {
    throw new ZwhError("ZWH-ARGS-INVALID", `--transport must be ssh or zosmf (got ${transport})`, { subject: "transport" });
  }
  if (transport === "zosmf") return zosmfSpecFromArgs(args, env, opts);
  const host = str(args, "host");
  const user = str(args, "user");
  const missing = [!host && "--host", !user && "--user"].filter(Boolean);
  if (missing.length > 0) {
    throw new ZwhError("ZWH-ARGS-MISSING", `missing ${missing.join(" and ")}: which z/OS host to connect to, as which user`, {
      hint: "Give --host and --user (or use a Zowe ssh profile).",
    });
  }
  const port = num(args, "port", 1) ?? 22;
  if (port > 65535) throw new ZwhError("ZWH-ARGS-INVALID", `--port must be 1-65535 (got ${port})`, { subject: "port" });
  const spec: TargetSpec = { host: host!, port, user: user! };

  const identity = str(args, "identity");
  if (identity) spec.identityFile = expandHome(identity);

  for (const [literal, envOpt, field] of [
    ["password", "passwordEnv", "password"],
    ["passphrase", "passphraseEnv", "passphrase"],
  ] as const) {
    const lit = args[literal];
    const envName = str(args, envOpt);
    if (lit !== undefined && lit !== null && lit !== "") {
      if (!opts.secretsFromProfile) {
        throw new ZwhError("ZWH-ARGS-SECRET", `a ${literal} given as a value is refused: command lines end up in shell history and process lists`, {
          subject: literal,
          hint: `Put it in an environment variable and pass --${kebab(envOpt)} VARNAME (or store it in the Zowe ssh profile's secure properties).`,
        });
      }
      if (typeof lit !== "string") throw new ZwhError("ZWH-ARGS-INVALID", `${literal} must be a string`);
      spec[field] = lit;
    }
    if (envName) spec[field] = fromEnv(env, kebab(envOpt), envName);
  }

  const hostKey = str(args, "hostKey");
  if (hostKey) spec.hostKey = hostKey;
  const knownHosts = str(args, "knownHosts");
  if (knownHosts) spec.knownHostsFile = expandHome(knownHosts);
  const hs = num(args, "handshakeTimeout", 0);
  if (hs !== undefined) spec.handshakeTimeoutMs = hs;
  return commonSettings(spec, args);
}
