/**
 * The password for a PostgreSQL URL without one, from a libpq password file ($PGPASSFILE, else
 * ~/.pgpass): lines `host:port:database:user:password`, `*` matches anything, `\:` and `\\`
 * escape. As libpq does, a file that group or others can read is ignored. Read here rather than
 * through the driver's deprecated built-in lookup, which prints a warning on every connection.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const MAX_BYTES = 64 * 1024;

function fields(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\" && i + 1 < line.length) cur += line[++i];
    else if (c === ":" && out.length < 4) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function pgpassLookup(
  target: { host: string; port: string; database: string; user: string },
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const file = env.PGPASSFILE || path.join(env.HOME || os.homedir(), ".pgpass");
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_BYTES || (st.mode & 0o077) !== 0) return undefined;
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const want = [target.host, target.port, target.database, target.user];
  for (const raw of text.split(/\r?\n/)) {
    if (!raw || raw.startsWith("#")) continue;
    const f = fields(raw);
    if (f.length !== 5) continue;
    if (want.every((w, i) => f[i] === "*" || f[i] === w)) return f[4];
  }
  return undefined;
}
