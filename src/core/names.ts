/**
 * Project names (PEP 503 / PEP 508) and extra names (PEP 685).
 *
 * Every comparison of project names in Wheelhouse goes through normalizeName(), so that
 * `Foo_Bar`, `foo-bar` and `FOO.bar` are one project everywhere (filenames, METADATA,
 * Requires-Dist, deny lists, locks).
 */

/** PEP 508 name: ASCII letters/digits, with `.`, `_`, `-` only between them. */
const NAME_RE = /^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/;

export function isValidProjectName(name: string): boolean {
  return NAME_RE.test(name);
}

/** PEP 503: lowercase, and every run of `-`, `_`, `.` becomes one `-`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** PEP 685 normalises extra names the same way as project names. */
export function normalizeExtra(extra: string): string {
  return normalizeName(extra);
}
