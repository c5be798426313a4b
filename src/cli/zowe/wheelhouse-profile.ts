/**
 * The `wheelhouse` Zowe profile type: deploy settings only. Connection data (host, port, user,
 * credentials, host key) always comes from the standard `ssh` profile, which Wheelhouse reuses
 * without redeclaring it.
 *
 * This is the one definition of the type. The plugin registers it (src/imperative.ts), zwh maps
 * it the same way (zwh-profiles.ts), and profiles/generate-zowe-config.js writes configs and
 * schemas from it. Each property names the command option it supplies: a profile value is used
 * only by commands that have that option, and only when the option was not given.
 */
import type { ICommandProfileTypeConfiguration } from "@zowe/imperative";

export const WHEELHOUSE_PROFILE_TYPE = "wheelhouse";

export interface WheelhouseProfileProperty {
  /** Property name in the profile (camelCase). */
  property: string;
  /** The shared option (kebab-case, as in src/cli/defs) this property supplies. */
  option: string;
  type: "string" | "number" | "object";
  description: string;
  includeInTemplate?: boolean;
  /**
   * Supplies the option only to commands that connect to a target. bundle create has a --python
   * too, but there it is a Python version (3.12), not the target interpreter's path.
   */
  connectingOnly?: boolean;
}

export const WHEELHOUSE_PROFILE_PROPERTIES: WheelhouseProfileProperty[] = [
  { property: "pythonPath", option: "python", type: "string", includeInTemplate: true, connectingOnly: true,
    description: "Path of the target's Python interpreter (IBM Open Enterprise SDK for Python), e.g. /usr/lpp/IBM/cyp/v3r12/pyz/bin/python3." },
  { property: "deployRoot", option: "root", type: "string", includeInTemplate: true,
    description: "Wheelhouse install root on the target (z/OS UNIX directory holding releases/, store/, current)." },
  { property: "trustFile", option: "trust", type: "string",
    description: "Local trust file (signers, threshold, channels) that bundles are verified against before deploying." },
  { property: "keepReleases", option: "keep", type: "number",
    description: "How many releases to keep besides current and previous (which are never pruned); older ones are pruned after a deploy." },
  { property: "inventory", option: "inventory", type: "string",
    description: "Inventory store that records what was deployed where: a SQLite file path, or postgres://USER@HOST:PORT/DB (password from PGPASSWORD or ~/.pgpass)." },
  { property: "vulnDb", option: "vuln-db", type: "string",
    description: "OSV snapshot (PyPI all.zip) for the offline vulnerability gate of bundle create/verify, deploy and vuln scan." },
  { property: "commandTimeout", option: "command-timeout", type: "number",
    description: "Timeout for one remote command in milliseconds." },
  { property: "transport", option: "transport", type: "string", connectingOnly: true,
    description: "How to reach the targets: ssh (default) or zosmf (z/OSMF REST and BPXBATCH jobs; connection from a zosmf profile)." },
  { property: "zosmfCaFile", option: "zosmf-ca-file", type: "string", connectingOnly: true,
    description: "PEM file with the CA certificate(s) of z/OSMF's TLS certificate (--transport zosmf)." },
  { property: "zosmfJobName", option: "zosmf-job-name", type: "string", connectingOnly: true,
    description: "Job name of the BPXBATCH jobs Wheelhouse submits over z/OSMF (default ZWHJOB)." },
  { property: "zosmfJobClass", option: "zosmf-job-class", type: "string", connectingOnly: true,
    description: "Job class of those jobs (default A)." },
  { property: "zosmfJobAccount", option: "zosmf-job-account", type: "string", connectingOnly: true,
    description: "Accounting information of those jobs." },
  { property: "environment", option: "env", type: "object",
    description: "Extra environment variables exported for every remote command (site settings such as LIBPATH or " +
      "_BPXK_AUTOCVT), as an object of NAME: value pairs." },
];

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The profile type configuration registered with imperative (plain data, no imports at run time). */
export function wheelhouseProfileTypeConfiguration(): ICommandProfileTypeConfiguration {
  const properties: Record<string, Record<string, unknown>> = {};
  for (const p of WHEELHOUSE_PROFILE_PROPERTIES) {
    const prop: Record<string, unknown> = { type: p.type, description: p.description };
    if (p.includeInTemplate) prop.includeInTemplate = true;
    properties[p.property] = prop;
  }
  return {
    type: WHEELHOUSE_PROFILE_TYPE,
    schema: {
      type: "object",
      title: "Wheelhouse Profile",
      description: "Wheelhouse deploy settings (target Python, install root, trust file, release retention, inventory, " +
        "extra environment). Connection settings come from an ssh profile.",
      properties,
      required: [],
    },
  } as unknown as ICommandProfileTypeConfiguration;
}

/**
 * Turn a profile value into the value the option's handler expects. The `environment` object
 * becomes the NAME=VALUE list that an array option such as --env takes.
 */
function toOptionValue(p: WheelhouseProfileProperty, value: unknown): unknown {
  if (p.type === "object" && value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`);
  }
  return value;
}

/** The property that supplies `option` on a command that does (or does not) connect. */
export function wheelhousePropertyFor(option: string, connects: boolean): WheelhouseProfileProperty | undefined {
  return WHEELHOUSE_PROFILE_PROPERTIES.find((p) => p.option === option && (connects || !p.connectingOnly));
}

/**
 * Handler arguments (camelCase option names) supplied by a wheelhouse profile's properties, for a
 * command that has the given options. `has(option)` says whether the command has that option;
 * `connects` whether it connects to a target (see connectingOnly).
 */
export function wheelhouseProfileArgs(
  profile: Record<string, unknown>,
  has: (option: string) => boolean,
  connects = true,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of WHEELHOUSE_PROFILE_PROPERTIES) {
    const v = profile[p.property];
    if (v === undefined || v === null || !has(p.option) || (p.connectingOnly && !connects)) continue;
    out[camelCase(p.option)] = toOptionValue(p, v);
  }
  return out;
}
