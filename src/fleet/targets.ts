/**
 * Fleet file targets → hosts the transport can open. A target's own fields win over its Zowe ssh
 * profile's (resolved by the CLI, which knows the team config) and over the file's defaults
 * (already merged by the fleet file reader). Relative key, known_hosts and trust paths resolve
 * against the fleet file's directory.
 */
import * as os from "os";
import * as path from "path";
import { ZwhError } from "../core/errors";
import type { FleetTarget } from "../core/fleet-types";
import { targetSpecFromArgs } from "../remote/target-args";
import type { FleetHost } from "./types";

export interface ResolveOptions {
  /** Directory of the fleet file (relative paths in it resolve here). */
  baseDir: string;
  env: NodeJS.ProcessEnv;
  /** Handler-style arguments of a Zowe ssh profile (host, port, user, privateKey…), by profile name. */
  profileArgs?: (profile: string) => Promise<Record<string, unknown>>;
  /** Handler-style arguments of a Zowe zosmf profile (zosmfHost, zosmfPort, zosmfUser, zosmfPassword…), by profile name. */
  zosmfProfileArgs?: (profile: string) => Promise<Record<string, unknown>>;
  /** Settings that apply to every host (command timeout, handshake timeout, --env). */
  common?: Record<string, unknown>;
  /** Trust file for targets that name none. */
  defaultTrust: string;
}

function resolvePath(p: string | undefined, baseDir: string): string | undefined {
  if (!p) return undefined;
  if (p === "~" || p.startsWith("~/")) return path.join(os.homedir(), p.slice(1));
  return path.resolve(baseDir, p);
}

/** A transport: zosmf target's arguments (its zosmf profile's, then its own fields). */
async function zosmfArgs(t: FleetTarget, o: ResolveOptions): Promise<{ fromProfile: Record<string, unknown>; own: Record<string, unknown> }> {
  if (t.zosmfProfile && !o.zosmfProfileArgs) throw new ZwhError("ZWH-INTERNAL", "fleet: zosmf profiles cannot be resolved here");
  const fromProfile = t.zosmfProfile && o.zosmfProfileArgs ? await o.zosmfProfileArgs(t.zosmfProfile) : {};
  return {
    fromProfile,
    own: {
      transport: "zosmf", zosmfHost: t.zosmfHost, zosmfPort: t.zosmfPort, zosmfUser: t.zosmfUser, zosmfPasswordEnv: t.zosmfPasswordEnv,
      zosmfCaFile: resolvePath(t.zosmfCaFile, o.baseDir), python: t.python,
    },
  };
}

export async function resolveFleetHost(t: FleetTarget, o: ResolveOptions): Promise<FleetHost> {
  const zosmf = t.transport === "zosmf";
  const { fromProfile, own } = zosmf ? await zosmfArgs(t, o) : {
    fromProfile: t.profile && o.profileArgs ? await o.profileArgs(t.profile) : {},
    own: {
      host: t.host, port: t.port, user: t.user, identity: resolvePath(t.identity, o.baseDir), knownHosts: resolvePath(t.knownHosts, o.baseDir),
      hostKey: t.hostKey, python: t.python,
    } as Record<string, unknown>,
  };
  const args: Record<string, unknown> = { ...(o.common ?? {}), ...fromProfile };
  for (const [k, v] of Object.entries(own)) if (v !== undefined) args[k] = v;
  args.name = t.name;
  let spec;
  try {
    // Secrets only ever come from a profile's secure store here (the file holds none).
    spec = targetSpecFromArgs(args, o.env, { secretsFromProfile: zosmf ? t.zosmfProfile !== undefined : t.profile !== undefined });
  } catch (e) {
    const z = e instanceof ZwhError ? e : new ZwhError("ZWH-ARGS-INVALID", String(e));
    throw new ZwhError(z.code, `fleet target ${t.name} (line ${t.line}): ${z.message}`, {
      subject: t.name, cause: z,
      hint: zosmf ? "Give zosmfHost, zosmfUser and zosmfPasswordEnv in the fleet file (and export that variable), or a zosmfProfile that has them." : "Give the target host and user in the fleet file, or a profile that has them.",
    });
  }
  spec.name = t.name;
  spec.nameSource = "name";
  if (t.profile && !zosmf) spec.zoweProfile = t.profile;
  return { name: t.name, spec, root: t.root, trustPath: resolvePath(t.trust, o.baseDir) ?? o.defaultTrust };
}

export async function resolveFleetHosts(targets: readonly FleetTarget[], o: ResolveOptions): Promise<FleetHost[]> {
  const out: FleetHost[] = [];
  for (const t of targets) out.push(await resolveFleetHost(t, o));
  return out;
}
