/** Split a list into runs of at most n (command lines stay under the target's ARG_MAX). */
export function chunks<T>(a: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < a.length; i += n) out.push(a.slice(i, i + n));
  return out;
}
