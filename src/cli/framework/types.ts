/**
 * Command definitions shared by the standalone `zwh` CLI and the Zowe CLI plugin.
 *
 * Definitions are plain data (no imports of ssh2, sqlite, ...) because Zowe loads every
 * plugin's definitions on each `zowe` invocation. Handlers are referenced by module path under
 * src/cli/handlers and loaded only when the command runs, by either host.
 */

export type OptionType = "string" | "number" | "boolean" | "array";

export interface OptionDef {
  /** kebab-case long name, e.g. "host-key" (handlers see camelCase: hostKey). */
  name: string;
  aliases?: string[];
  /**
   * Aliases only zwh accepts, because Zowe already uses them for its own options (e.g. --to is
   * the ssh profile's handshake-timeout alias there).
   */
  zwhAliases?: string[];
  description: string;
  type: OptionType;
  required?: boolean;
  defaultValue?: string | number | boolean | string[];
  allowableValues?: string[];
  /** Help section, e.g. "Target options". */
  group?: string;
  /**
   * "zwh": only on the standalone CLI, because in Zowe the same value comes from the ssh
   * profile / its connection options (host, port, user, identity, host key...).
   */
  only?: "zwh";
}

export interface PositionalDef {
  name: string;
  description: string;
  required: boolean;
}

export interface ExampleDef {
  description: string;
  /** Arguments after the command path, e.g. "--host lpar1 --user IBMUSER". */
  args: string;
  /**
   * The example's arguments under `zowe wheelhouse` when they differ from zwh's: zwh-only flags
   * (--identity, --password-env, --known-hosts...) do not exist there, profiles do. Without it,
   * `args` is used with --json written as --rfj.
   */
  zowe?: string;
}

export interface CommandDef {
  type: "command";
  name: string;
  aliases?: string[];
  summary: string;
  description: string;
  positionals?: PositionalDef[];
  options: OptionDef[];
  examples: ExampleDef[];
  /** Handler module, relative to src/cli/handlers, without extension (e.g. "target/probe"). */
  handler: string;
  /** The command connects to a target (Zowe: uses the ssh profile). */
  connects?: boolean;
}

export interface GroupDef {
  type: "group";
  name: string;
  aliases?: string[];
  summary: string;
  description: string;
  children: Array<GroupDef | CommandDef>;
}

export type NodeDef = GroupDef | CommandDef;

/** Human output and progress; implemented by zwh (stdout/stderr, listr2) and by Zowe (response API). */
export interface Output {
  /** Human text (not printed in --json mode). */
  info(msg: string): void;
  /** Warnings and notices (stderr in zwh; never mixed into JSON). */
  warn(msg: string): void;
  /** A progress reporter for a sequence of steps. */
  progress: Progress;
  /** A reporter for many hosts at once (fleet commands): compact on a terminal, plain lines otherwise. */
  fleet?: () => FleetReporter;
}

import type { Progress } from "../../core/progress";
import type { FleetReporter } from "../../fleet/types";
export type { Progress, StepHandle } from "../../core/progress";

export interface CommandContext {
  /** Options (camelCase) and positionals by name. */
  args: Record<string, unknown>;
  out: Output;
  json: boolean;
  /** Which CLI is hosting the command. */
  host: "zwh" | "zowe";
  env: NodeJS.ProcessEnv;
}

export interface CommandResult {
  exitCode: number;
  /** The --json / --rfj object. Identical in zwh and in Zowe. */
  data: Record<string, unknown>;
  /** Human-readable rendering, printed when not in JSON mode. */
  text?: string;
}

export type Handler = (ctx: CommandContext) => Promise<CommandResult>;

/** Every handler module default-exports `{ run }`. */
export interface HandlerModule {
  run: Handler;
}
