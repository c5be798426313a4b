/**
 * Zowe team-config profiles for the standalone `zwh`, read through imperative's ProfileInfo, the
 * API Zowe Explorer uses. The lead's runner (src/cli/zwh/profiles.ts) calls applyZwhProfiles().
 *
 * Rules (docs/zowe-plugin.md, "zwh and team config"):
 * - `--profile NAME` names the ssh profile (NAME, NAME.ssh or ssh_NAME), `--wheelhouse-profile
 *   NAME` the wheelhouse profile. Without them the config's defaults are used, if a team config
 *   exists — except that the default ssh profile is NOT used when --host is given, so a host
 *   named on the command line never receives another host's user, password or host-key pin.
 * - Precedence: flags > ZOWE_OPT_* (as in Zowe CLI; applied to the ssh values only when an ssh
 *   profile is in use) > ssh profile > base profile > wheelhouse profile > option defaults.
 * - Secure values (user, password, keyPassphrase) come from the OS credential vault through
 *   @zowe/secrets-for-zowe-sdk, unless $ZOWE_CLI_HOME/settings/imperative.json sets
 *   "overrides": {"CredentialManager": false} (plain-text config, for headless CI).
 * - The Zowe modules are loaded lazily: a zwh run that involves no team config never loads them.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ZwhError } from "../../core/errors";
import type { CommandDef } from "../framework/types";
import { sshTargetArgs, zosmfTargetArgs, type SshProfileValues } from "./profile-args";
import { SSH_PROFILE_PROPERTIES } from "./ssh-options";
import { WHEELHOUSE_PROFILE_TYPE, wheelhouseProfileArgs } from "./wheelhouse-profile";
import { readInputText } from "../../io/input-file";

export interface ZwhProfileRequest {
  /** --profile: ssh profile name. */
  profile?: string;
  /** --wheelhouse-profile: wheelhouse profile name. */
  wheelhouseProfile?: string;
  /** --zosmf-profile: zosmf profile name (used with --transport zosmf). */
  zosmfProfile?: string;
  /** --transport as given on the command line (the wheelhouse profile may also set it). */
  transport?: string;
  /** The command connects to a target (only then is an ssh profile read). */
  connects?: boolean;
  /** Whether the command has this (kebab-case) option; wheelhouse values go only to existing options. */
  hasOption?: (name: string) => boolean;
  /** --host was given on the command line: do not fall back to the default ssh profile. */
  hostGiven?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Project directory searched (with its parents) for zowe.config.json; default process.cwd(). */
  cwd?: string;
}

export interface ZwhProfileResult {
  /** Handler arguments (camelCase) supplied by profiles and ZOWE_OPT_*. Flags must be laid over them. */
  args: Record<string, unknown>;
  /** The profiles used, for messages: { ssh: "lpar1", wheelhouse: "prod" }. */
  used: { ssh?: string; wheelhouse?: string; zosmf?: string };
}

/** ZOWE_CLI_HOME or ~/.zowe, as Zowe CLI uses. */
export function zoweHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZOWE_CLI_HOME && env.ZOWE_CLI_HOME.trim() !== "" ? env.ZOWE_CLI_HOME : path.join(os.homedir(), ".zowe");
}

const CONFIG_NAMES = ["zowe.config.json", "zowe.config.user.json"];

/** Is there a team config (global in the Zowe home, or a project config in cwd or a parent)? */
export function teamConfigExists(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): boolean {
  if (CONFIG_NAMES.some((n) => fs.existsSync(path.join(zoweHome(env), n)))) return true;
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (CONFIG_NAMES.some((n) => fs.existsSync(path.join(dir, n)))) return true;
    if (path.dirname(dir) === dir) return false;
  }
}

/** ZOWE_OPT_* names of the ssh properties (Zowe: ZOWE_OPT_ + option name in CONSTANT_CASE). */
const SSH_ENV: Record<(typeof SSH_PROFILE_PROPERTIES)[number], string> = {
  host: "ZOWE_OPT_HOST",
  port: "ZOWE_OPT_PORT",
  user: "ZOWE_OPT_USER",
  password: "ZOWE_OPT_PASSWORD",
  privateKey: "ZOWE_OPT_PRIVATE_KEY",
  keyPassphrase: "ZOWE_OPT_KEY_PASSPHRASE",
  handshakeTimeout: "ZOWE_OPT_HANDSHAKE_TIMEOUT",
  hostKey: "ZOWE_OPT_HOST_KEY",
  insecure: "ZOWE_OPT_INSECURE",
};

type ImperativeModule = typeof import("@zowe/imperative");

function loadImperative(): ImperativeModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@zowe/imperative") as ImperativeModule;
  } catch (e) {
    throw new ZwhError("ZWH-PROFILE-NO-ZOWE", "reading Zowe profiles needs the @zowe/imperative package, which is not installed", {
      cause: e,
      hint: "Install it next to zwh (npm install -g @zowe/imperative@^8, or install zos-wheelhouse with its peer " +
        "dependencies), or give the connection with flags (--host, --user, --identity, --host-key) instead of --profile.",
    });
  }
}

interface ProfAttrs { profName: string; profType: string }

const OWN_CONFIG = Symbol.for("zos-wheelhouse.zwh-imperative-config");

/**
 * Outside Zowe CLI nobody has initialised imperative's ImperativeConfig singleton, yet
 * ProfileInfo reads $ZOWE_CLI_HOME/settings/imperative.json through it. Give it the minimum
 * (Zowe's env prefix and home), and never touch a singleton that a real host configured.
 */
function useZoweHome(imp: ImperativeModule, home: string): void {
  const inst = imp.ImperativeConfig.instance as unknown as { loadedConfig?: Record<string | symbol, unknown> };
  if (inst.loadedConfig && !inst.loadedConfig[OWN_CONFIG]) return;
  inst.loadedConfig = { name: "zowe", defaultHome: home, envVariablePrefix: "ZOWE", [OWN_CONFIG]: true };
}

/** `"overrides": {"CredentialManager": false}` in $ZOWE_CLI_HOME/settings/imperative.json? */
export function vaultDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    const file = path.join(zoweHome(env), "settings", "imperative.json");
    const settings = JSON.parse(readInputText(file, { what: "Zowe settings file" })) as { overrides?: Record<string, unknown> };
    return settings.overrides?.CredentialManager === false || settings.overrides?.["credential-manager"] === false;
  } catch {
    return false;
  }
}

/**
 * With the vault disabled, Zowe CLI keeps secure properties in plain text in the config file.
 * ProfileInfo would still try to open the OS vault for names listed in a "secure" array; this
 * manager answers "nothing stored" instead, so plain values and ZOWE_OPT_* are used.
 */
function noVaultManager(imp: ImperativeModule) {
  return class NoVault extends imp.AbstractCredentialManager {
    public constructor(service: string, displayName: string) { super(service, displayName); }
    protected async deleteCredentials(): Promise<void> { /* nothing stored */ }
    protected async loadCredentials(): Promise<string> { return null as unknown as string; }
    protected async saveCredentials(): Promise<void> {
      throw new Error("the credential vault is disabled (CredentialManager: false)");
    }
  };
}

export async function resolveZwhProfiles(req: ZwhProfileRequest): Promise<ZwhProfileResult> {
  const env = req.env ?? process.env;
  const cwd = req.cwd ?? process.cwd();
  const result: ZwhProfileResult = { args: {}, used: {} };
  const explicit = req.profile !== undefined || req.wheelhouseProfile !== undefined || req.zosmfProfile !== undefined;
  if (!explicit && !teamConfigExists(env, cwd)) return result;

  const imp = loadImperative();
  useZoweHome(imp, zoweHome(env));
  const profInfo = new imp.ProfileInfo("zowe", {
    overrideWithEnv: false,
    credMgrOverride: vaultDisabled(env)
      ? { service: "Zowe", Manager: noVaultManager(imp) }
      : imp.ProfileCredentials.defaultCredMgrWithKeytar(
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        () => require("@zowe/secrets-for-zowe-sdk").keyring,
      ),
  });
  try {
    await profInfo.readProfilesFromDisk({ homeDir: zoweHome(env), projectDir: cwd });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const credMgr = (e as { errorCode?: string }).errorCode === imp.ProfInfoErr.LOAD_CRED_MGR_FAILED;
    throw new ZwhError(
      credMgr ? "ZWH-PROFILE-VAULT" : "ZWH-PROFILE-READ",
      credMgr
        ? "the team config has secure properties, but the OS credential vault could not be opened"
        : `the Zowe team config could not be read: ${msg}`,
      {
        subject: zoweHome(env),
        cause: e,
        hint: credMgr
          ? "On a headless machine, unlock a keyring (D-Bus + gnome-keyring), or disable the vault with " +
            "\"overrides\": {\"CredentialManager\": false} in $ZOWE_CLI_HOME/settings/imperative.json and supply " +
            "secrets with ZOWE_OPT_PASSWORD / ZOWE_OPT_KEY_PASSPHRASE or ssh-agent."
          : "Check the file with 'zowe config list', or run zwh with flags only.",
      },
    );
  }
  const config = profInfo.getTeamConfig();
  if (!config.exists) {
    if (explicit) {
      throw new ZwhError("ZWH-PROFILE-NOT-FOUND", "no Zowe team config found for --profile/--wheelhouse-profile", {
        subject: zoweHome(env),
        hint: "Create one with 'zowe config init', or see profiles/zowe.config.sample.json.",
      });
    }
    return result;
  }

  const pick = (type: string, name: string | undefined): ProfAttrs | undefined => {
    const all = profInfo.getAllProfiles(type) as ProfAttrs[];
    if (name === undefined) return (profInfo.getDefaultProfile(type) as ProfAttrs | null) ?? undefined;
    const found = all.find((p) => p.profName === name) ??
      all.find((p) => p.profName === `${name}.${type}`) ??
      all.find((p) => p.profName === `${type}_${name}`);
    if (!found) {
      const names = all.map((p) => p.profName);
      throw new ZwhError("ZWH-PROFILE-NOT-FOUND", `no ${type} profile named '${name}' in the Zowe team config`, {
        subject: name,
        hint: names.length ? `${type} profiles found: ${names.join(", ")}.` : `The team config has no ${type} profile; see 'zowe config list'.`,
      });
    }
    return found;
  };
  const props = (name: string): Record<string, unknown> =>
    (config.api.profiles.get(name) ?? {}) as Record<string, unknown>;

  const wh = pick(WHEELHOUSE_PROFILE_TYPE, req.wheelhouseProfile);
  const whProps = wh ? props(wh.profName) : {};
  const transport = req.transport ?? (typeof whProps.transport === "string" ? whProps.transport : "ssh");
  const wantSsh = !!req.connects && transport !== "zosmf" && (req.profile !== undefined || !req.hostGiven);
  if (req.connects && transport === "zosmf") {
    const zp = pick("zosmf", req.zosmfProfile);
    if (zp) {
      const base = profInfo.getDefaultProfile("base") as ProfAttrs | null;
      Object.assign(result.args, zosmfTargetArgs(props(zp.profName), base ? props(base.profName) : {}));
      result.used.zosmf = zp.profName;
    }
  }

  if (wantSsh) {
    const ssh = pick("ssh", req.profile);
    if (ssh) {
      // Base profile values fill what the ssh profile leaves out, as in Zowe CLI.
      const base = profInfo.getDefaultProfile("base") as ProfAttrs | null;
      const values: Record<string, unknown> = {};
      const baseProps = base ? props(base.profName) : {};
      const sshProps = props(ssh.profName);
      for (const k of SSH_PROFILE_PROPERTIES) {
        const envVal = env[SSH_ENV[k]];
        if (envVal !== undefined && envVal !== "") values[k] = envVal;
        else if (sshProps[k] !== undefined) values[k] = sshProps[k];
        else if (baseProps[k] !== undefined) values[k] = baseProps[k];
      }
      Object.assign(result.args, sshTargetArgs(values as SshProfileValues, `ssh profile '${ssh.profName}'`));
      result.used.ssh = ssh.profName;
    }
  }

  if (wh) {
    const whArgs = wheelhouseProfileArgs(whProps, req.hasOption ?? (() => true), !!req.connects);
    for (const [k, v] of Object.entries(whArgs)) if (result.args[k] === undefined) result.args[k] = v;
    result.used.wheelhouse = wh.profName;
  }
  return result;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The whole zwh step: `args` are the parsed flags (camelCase, with `profile` and
 * `wheelhouseProfile` among them). Returns flags laid over profile values.
 *
 * `explicit` names the argument keys the user actually typed. Without it, a value equal to the
 * option's default is taken as defaulted (so a profile's port 2222 beats the default 22); pass
 * it, or apply defaults after this call, to tell an explicit "--port 22" apart.
 */
export async function applyZwhProfiles(
  cmd: CommandDef,
  args: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  opts: { explicit?: ReadonlySet<string>; cwd?: string } = {},
): Promise<Record<string, unknown>> {
  const isExplicit = (key: string): boolean => {
    if (args[key] === undefined) return false;
    if (opts.explicit) return opts.explicit.has(key);
    const opt = cmd.options.find((o) => camelCase(o.name) === key);
    return !(opt && opt.defaultValue !== undefined && args[key] === opt.defaultValue);
  };
  const names = new Set(cmd.options.map((o) => o.name));
  const { args: fromProfiles, used } = await resolveZwhProfiles({
    profile: typeof args.profile === "string" ? args.profile : undefined,
    wheelhouseProfile: typeof args.wheelhouseProfile === "string" ? args.wheelhouseProfile : undefined,
    zosmfProfile: typeof args.zosmfProfile === "string" ? args.zosmfProfile : undefined,
    transport: isExplicit("transport") && typeof args.transport === "string" ? args.transport : undefined,
    connects: !!cmd.connects,
    hasOption: (n) => names.has(n),
    hostGiven: isExplicit("host"),
    env,
    cwd: opts.cwd,
  });
  const merged: Record<string, unknown> = { ...args };
  for (const [k, v] of Object.entries(fromProfiles)) {
    if (!isExplicit(k)) merged[k] = v;
  }
  // The ssh profile names the host (unless --name does), as under `zowe wh … --ssh-profile`.
  if (used.ssh && cmd.connects) merged.sshProfileName = used.ssh;
  return merged;
}
