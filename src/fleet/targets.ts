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

export async function resolveFleetHost(t: FleetTarget, o: ResolveOptions): Promise<FleetHost> {
  const fromProfile = t.profile && o.profileArgs ? await o.profileArgs(t.profile) : {};
  const own: Record<string, unknown> = {
    host: t.host, port: t.port, user: t.user, identity: resolvePath(t.identity, o.baseDir), knownHosts: resolvePath(t.knownHosts, o.baseDir),
    hostKey: t.hostKey, python: t.python,
  };
  const args: Record<string, unknown> = { ...(o.common ?? {}), ...fromProfile };
  for (const [k, v] of Object.entries(own)) if (v !== undefined) args[k] = v;
  args.name = t.name;
  let spec;
  try {
    // Secrets only ever come from a profile's secure store here (the file holds none).
    spec = targetSpecFromArgs(args, o.env, { secretsFromProfile: t.profile !== undefined });
  } catch (e) {
    const z = e instanceof ZwhError ? e : new ZwhError("ZWH-ARGS-INVALID", String(e));
    throw new ZwhError(z.code, `fleet target ${t.name} (line ${t.line}): ${z.message}`, { subject: t.name, hint: "Give the target host and user in the fleet file, or a profile that has them.", cause: z });
  }
  spec.name = t.name;
  spec.nameSource = "name";
  if (t.profile) spec.zoweProfile = t.profile;
  return { name: t.name, spec, root: t.root, trustPath: resolvePath(t.trust, o.baseDir) ?? o.defaultTrust };
}

export async function resolveFleetHosts(targets: readonly FleetTarget[], o: ResolveOptions): Promise<FleetHost[]> {
  const out: FleetHost[] = [];
  for (const t of targets) out.push(await resolveFleetHost(t, o));
  return out;
}
