/**
 * The helpers' output contract: ONE JSON object on a line of stdout. Anything else (an
 * interpreter banner, site customisation, warnings) may come before it, so the result is the
 * LAST line that parses as a JSON object.
 */
export function parseJsonLine(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("{"));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v = JSON.parse(lines[i]) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}
