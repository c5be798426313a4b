/** Counting target interpreter starts from the commands we send (TransportStats.pythonStarts). */

/**
 * Interpreter starts caused by one argv: 1 for `python …`, +1 for `python -m pip --python X`
 * (pip re-runs itself under X), plus the starts of a command a helper runs after `--`.
 */
export function pythonStartsOf(argv: readonly string[]): number {
  if (argv.length === 0) return 0;
  const base = argv[0].slice(argv[0].lastIndexOf("/") + 1);
  if (!/^python[0-9.]*$/.test(base)) return 0;
  const dd = argv.indexOf("--");
  const own = dd > 0 ? argv.slice(0, dd) : argv;
  let n = 1;
  const m = own.indexOf("-m");
  if (m >= 0 && own[m + 1] === "pip" && own.includes("--python")) n++;
  if (dd > 0) n += pythonStartsOf(argv.slice(dd + 1));
  return n;
}
