/**
 * The one POSIX-shell quoting helper. Every remote command is built from argv arrays through
 * here; nothing is ever pasted into a command string unquoted.
 *
 * Single quotes are the only POSIX quoting with no special characters inside, so each argument
 * becomes '...' with embedded single quotes written as '\''. NUL cannot be passed through a
 * shell at all and is refused. Newlines are quoted literally (they are legal in file names).
 */
import { ZwhError } from "../core/errors";

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shQuote(arg: string): string {
  if (arg.includes("\0")) {
    throw new ZwhError("ZWH-QUOTE-NUL", "an argument contains a NUL byte and cannot be passed to a shell", {
      subject: JSON.stringify(arg),
      hint: "Remove NUL characters from paths and arguments.",
    });
  }
  if (arg.length > 0 && SAFE.test(arg)) return arg;
  return "'" + arg.replace(/'/g, "'\\''") + "'";
}

/** Quote every element of argv and join with spaces: one simple command. */
export function shCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new ZwhError("ZWH-QUOTE-EMPTY", "empty command");
  return argv.map(shQuote).join(" ");
}

/**
 * Join already-built commands into a sequence. `op` is a fixed shell operator chosen by the
 * caller (never user data).
 */
export function shJoin(commands: readonly string[], op: "&&" | ";" | "||" = "&&"): string {
  return commands.join(` ${op} `);
}

/** `NAME=value` for an export line, with the value quoted. Names are validated. */
export function shAssign(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new ZwhError("ZWH-QUOTE-NAME", `invalid environment variable name: ${name}`);
  }
  return `${name}=${shQuote(value)}`;
}
