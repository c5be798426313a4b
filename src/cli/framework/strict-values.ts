/**
 * Option values as both CLIs accept them. Numbers are unsigned decimal integers written with
 * digits only: `0x10`, `1e3`, `+5`, `" 7"`, `1.0` and `""` are refused rather than read as 16,
 * 1000, 5, 7 and 1 (JavaScript's Number() would accept them all, and a typo in --keep or
 * --lock-ttl must not silently become another number). An option given explicitly with an empty
 * value (`--release ""`) is refused too: it never means "the default".
 */
import { ZwhError } from "../../core/errors";

function usage(message: string, hint: string): ZwhError {
  return new ZwhError("ZWH-USAGE", message, { hint });
}

/** A number option's value: a string of decimal digits, or (from a profile) a safe integer >= 0. */
export function decimalOption(value: unknown, display: string): number {
  const hint = `Write ${display} as a whole number in decimal digits, e.g. ${display} 30.`;
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    throw usage(`${display} expects a whole number of at least 0, got ${value}`, hint);
  }
  if (typeof value === "string" && /^[0-9]+$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
    throw usage(`${display} is too large: ${value}`, hint);
  }
  throw usage(`${display} expects a whole number in decimal digits, got '${String(value)}'`, hint);
}

/** A string option given explicitly must not be empty. */
export function nonEmptyOption(value: string, display: string): string {
  if (value === "") {
    throw usage(`${display} was given an empty value`, `Give ${display} a value, or leave the option out to use its default.`);
  }
  return value;
}
