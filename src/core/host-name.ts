/**
 * Logical host identity. A host is named, in this order, by --name, by the Zowe ssh profile it
 * was reached through, or by the LPAR's own nodename (uname -n); its address, port and user are
 * attributes that may change. Only when none of these is known (a host that could not be
 * reached and was never recorded) is the address itself the name: "host", or "host:port" when
 * the port is not 22 — the one spelling used everywhere.
 */

export type HostNameSource = "name" | "profile" | "nodename" | "address";

/** What --name accepts, and what profile names and nodenames look like. */
export const HOST_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:@[\]-]{0,127}$/;

export function isValidHostName(name: string): boolean {
  return HOST_NAME_RE.test(name);
}

/** "host", or "host:port" when the port is not 22. */
export function addressLabel(t: { host: string; port: number }): string {
  return t.port === 22 ? t.host : `${t.host}:${t.port}`;
}

export interface HostIdentity {
  name: string;
  source: HostNameSource;
}

/**
 * The host's logical name from what is known: an explicit name (--name or the profile), else the
 * nodename the target reported, else its address label.
 */
export function hostIdentity(
  t: { host: string; port: number; name?: string; nameSource?: "name" | "profile" },
  nodename?: string | null,
): HostIdentity {
  if (t.name) return { name: t.name, source: t.nameSource ?? "name" };
  const n = typeof nodename === "string" ? nodename.trim() : "";
  if (n && isValidHostName(n)) return { name: n, source: "nodename" };
  return { name: addressLabel(t), source: "address" };
}
