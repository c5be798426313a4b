/**
 * One error type for every refusal and failure Wheelhouse reports.
 *
 * Each error carries a stable code (ZWH-AREA-WHAT) that scripts and docs can rely on, the
 * thing it concerns (file, package, host), and what the user should do next. Exit codes follow
 * the CLI contract: 1 = error, 3 = refused by verification or policy.
 */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_REFUSED = 3;

export interface ZwhErrorOptions {
  /** What the error is about: a file, package, host or path. */
  subject?: string;
  /** What to do about it, in one or two sentences. */
  hint?: string;
  /** Machine-readable extra facts for --json output. */
  details?: Record<string, unknown>;
  /** 1 (error, default) or 3 (refused by verification or policy). */
  exitCode?: number;
  /** True when retrying the same operation may succeed (network blips, timeouts). */
  transient?: boolean;
  cause?: unknown;
}

export class ZwhError extends Error {
  readonly code: string;
  readonly subject?: string;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;
  readonly exitCode: number;
  readonly transient: boolean;

  constructor(code: string, message: string, opts: ZwhErrorOptions = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = "ZwhError";
    this.code = code;
    this.subject = opts.subject;
    this.hint = opts.hint;
    this.details = opts.details;
    this.exitCode = opts.exitCode ?? EXIT_ERROR;
    this.transient = opts.transient ?? false;
  }

  /** The shape used in every --json output for an error or finding. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.subject !== undefined) out.subject = this.subject;
    if (this.hint !== undefined) out.hint = this.hint;
    if (this.details !== undefined) out.details = this.details;
    out.transient = this.transient;
    return out;
  }

  /** Human form: "ZWH-X-Y: message (subject)\n  hint". */
  format(): string {
    let s = `${this.code}: ${this.message}`;
    if (this.subject && !this.message.includes(this.subject)) s += ` [${this.subject}]`;
    if (this.hint) s += `\n  What to do: ${this.hint}`;
    return s;
  }
}

/** A refusal by verification or policy (exit code 3). */
export function refusal(code: string, message: string, opts: Omit<ZwhErrorOptions, "exitCode"> = {}): ZwhError {
  return new ZwhError(code, message, { ...opts, exitCode: EXIT_REFUSED });
}

/** Wrap anything thrown into a ZwhError, keeping ZwhErrors as they are. */
export function toZwhError(e: unknown, code = "ZWH-INTERNAL"): ZwhError {
  if (e instanceof ZwhError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new ZwhError(code, msg, { cause: e });
}
