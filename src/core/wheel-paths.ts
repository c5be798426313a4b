/**
 * Where pip would install a wheel's members, checked before the bundle is signed, so that what
 * pip would refuse late on the target (or what would run at interpreter start) is refused here.
 *
 * - `<dist>-<version>.data/<scheme>/...`: pip knows the schemes purelib, platlib, headers,
 *   scripts and data, and refuses any other (and a file directly under `.data/`) during the
 *   install, after the venv exists: ZWH-WHEEL-DATA-SCHEME.
 * - Path lengths: a path component over 255 bytes (NAME_MAX of zFS and most file systems), or a
 *   member path over 1023 bytes (z/OS PATH_MAX; the install prefix only adds to it):
 *   ZWH-WHEEL-PATH-TOO-LONG.
 * - Start-up hooks: a `.pth` file that lands directly in site-packages (top level, or directly
 *   under `.data/purelib/` or `.data/platlib/`) is processed by `site` at EVERY interpreter
 *   start, and its `import` lines run code. startupHooksOf() lists them; the bundle layer refuses
 *   them unless the signed policy allows them (ZWH-WHEEL-STARTUP-HOOK). A `.pth` deeper in a
 *   package is inert and not listed.
 */
export const DATA_SCHEMES: readonly string[] = ["purelib", "platlib", "headers", "scripts", "data"];
export const NAME_MAX = 255;
export const ZOS_PATH_MAX = 1023;

export interface PathProblem {
  code: "ZWH-WHEEL-DATA-SCHEME" | "ZWH-WHEEL-PATH-TOO-LONG";
  entry: string;
  why: string;
  hint: string;
}

/** `<dist>-<version>.data` for a `<dist>-<version>.dist-info` directory. */
export function dataDirOf(distInfo: string): string {
  return distInfo.replace(/\.dist-info$/, ".data");
}

export function checkInstallPaths(names: string[], distInfo: string): PathProblem[] {
  const out: PathProblem[] = [];
  const dataDir = dataDirOf(distInfo);
  for (const name of names) {
    const body = name.endsWith("/") ? name.slice(0, -1) : name;
    const parts = body.split("/");
    const long = parts.find((p) => Buffer.byteLength(p, "utf8") > NAME_MAX);
    if (long !== undefined) {
      out.push({ code: "ZWH-WHEEL-PATH-TOO-LONG", entry: name, why: `entry ${name} has a path component of ${Buffer.byteLength(long, "utf8")} bytes (the limit is ${NAME_MAX})`, hint: "The file cannot be created on the target; pip would fail during the install." });
    } else if (Buffer.byteLength(body, "utf8") > ZOS_PATH_MAX) {
      out.push({ code: "ZWH-WHEEL-PATH-TOO-LONG", entry: name, why: `entry ${name} is ${Buffer.byteLength(body, "utf8")} bytes long, over the z/OS PATH_MAX of ${ZOS_PATH_MAX}`, hint: "The file cannot be created on the target; pip would fail during the install." });
    }
    if (parts[0] === dataDir && !(name.endsWith("/") && parts.length <= 2)) {
      if (parts.length < 3 || !DATA_SCHEMES.includes(parts[1])) {
        out.push({
          code: "ZWH-WHEEL-DATA-SCHEME",
          entry: name,
          why: parts.length < 3 ? `entry ${name} lies directly in ${dataDir}/ (pip needs ${dataDir}/<scheme>/...)` : `entry ${name} uses the unknown install scheme "${parts[1]}" (pip knows ${DATA_SCHEMES.join(", ")})`,
          hint: "pip would refuse this wheel during the install. Use a correctly built wheel.",
        });
      }
    }
  }
  return out;
}

/** The `.pth` files of a wheel that pip would install directly into site-packages. */
export function startupHooksOf(fileNames: string[], distInfo: string): string[] {
  const dataDir = dataDirOf(distInfo);
  const out: string[] = [];
  for (const name of fileNames) {
    if (!name.toLowerCase().endsWith(".pth")) continue;
    const parts = name.split("/");
    if (parts.length === 1 || (parts.length === 3 && parts[0] === dataDir && (parts[1] === "purelib" || parts[1] === "platlib"))) out.push(name);
  }
  return out.sort();
}

/** The file name pip gives a start-up hook in site-packages. */
export function startupHookFileName(member: string): string {
  return member.split("/").pop()!;
}
