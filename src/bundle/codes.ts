/**
 * Stable error codes of the bundle layer (in addition to the wheel, closure, policy and SIG
 * codes of src/core and src/bundle/signing, which bundle verification reports unchanged).
 * Every refusal exits with 3; usage and I/O problems with 1.
 */
export const BUNDLE = {
  /** manifest.intoto.json is not JSON, or is not a valid Wheelhouse bundle statement. */
  MALFORMED: "ZWH-BUNDLE-MALFORMED",
  /** A file named in subject[] is not in the bundle. */
  SUBJECT_MISSING: "ZWH-BUNDLE-SUBJECT-MISSING",
  /** A subject's sha256 or size differs from the file in the bundle. */
  SUBJECT_MISMATCH: "ZWH-BUNDLE-SUBJECT-MISMATCH",
  /** A file in the bundle directory is not a subject (and not a signature/manifest file). */
  UNLISTED_FILE: "ZWH-BUNDLE-UNLISTED-FILE",
  /** A symlink, device, FIFO or socket inside the bundle directory. */
  SPECIAL_FILE: "ZWH-BUNDLE-SPECIAL-FILE",
  /** requirements.lock.txt differs from the lock regenerated from the manifest. */
  LOCK_MISMATCH: "ZWH-BUNDLE-LOCK-MISMATCH",
  /** A wheels[] fact (name, version, tags, Requires-Dist, ...) differs from the real wheel. */
  WHEEL_FACTS: "ZWH-BUNDLE-WHEEL-FACTS",
  /** The --target-env probe describes another target than the one the bundle was closed for. */
  TARGET_MISMATCH: "ZWH-BUNDLE-TARGET-MISMATCH",
  /** Bad --target-env / --python / --platform input. */
  TARGET_INVALID: "ZWH-BUNDLE-TARGET-INVALID",
  /** The output path exists already. */
  EXISTS: "ZWH-BUNDLE-EXISTS",
  /** Bundle directory, wheel directory or archive cannot be read / written. */
  IO: "ZWH-BUNDLE-IO",
  /** Bad command-line input for a bundle command. */
  USAGE: "ZWH-BUNDLE-USAGE",
  /** Tar archive: entry name escapes the output directory (.., absolute, backslash). */
  TAR_UNSAFE_PATH: "ZWH-BUNDLE-TAR-UNSAFE-PATH",
  /** Tar archive: symlink, hard link, device or other non-regular entry. */
  TAR_LINK: "ZWH-BUNDLE-TAR-LINK",
  /** Tar archive: the same path appears twice. */
  TAR_DUPLICATE: "ZWH-BUNDLE-TAR-DUPLICATE",
  /** Tar archive: corrupt, truncated, or over the size limits. */
  TAR_INVALID: "ZWH-BUNDLE-TAR-INVALID",
} as const;

/** The wheel's RECORD file sha256 differs from the manifest's recordSha256 (the contents binding). */
export const WHEEL_RECORD_DIGEST = "ZWH-WHEEL-RECORD-DIGEST";
