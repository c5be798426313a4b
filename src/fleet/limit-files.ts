/**
 * The @FILE parts of a --limit, read from disk for the pure selection (core/fleet-select.ts).
 * Each is an untrusted input file: a regular file of at most 1 MiB (a retry file of 200 hosts
 * with their reasons is a few tens of KiB). Relative paths are relative to the working directory,
 * as the user typed them.
 */
import { limitFileRefs } from "../core/fleet-select";
import { INPUT_LIMITS, readInputText } from "../io/input-file";

/** Path as written after `@` → the file's text, for selectHosts(names, limit, files). */
export function readLimitFiles(limit: string | undefined): Record<string, string> {
  const files: Record<string, string> = {};
  if (limit === undefined) return files;
  for (const ref of limitFileRefs(limit)) {
    files[ref] = readInputText(ref, { what: "--limit file", maxBytes: INPUT_LIMITS.small });
  }
  return files;
}
