/** `bundle` group: create, sign, verify, inspect, pack and unpack wheel bundles. */
import type { GroupDef, OptionDef, PositionalDef } from "../framework/types";
import { jsonOption, outOption, passphraseEnvOption } from "./options";
import { vulnGateOptions } from "./vuln-options";

const TRUST_DESC = "Trust file listing the keys allowed to sign bundles, the threshold and the channels (default ~/.zwh/trust.json, or $ZWH_TRUST).";
const TARGET_ENV_DESC =
  "JSON printed by 'zwh target probe --json' for the target (raw, or as printed with formatVersion/command/ok). " +
  "Gives the target's Python version, platform, pip's compatible wheel tags and its PEP 508 marker environment.";

const bundleDirArg: PositionalDef = { name: "dir", description: "Bundle directory.", required: true };
const targetEnvOption = (description: string): OptionDef => ({ name: "target-env", type: "string", description });

export const bundleGroup: GroupDef = {
  type: "group",
  name: "bundle",
  summary: "Create, sign and verify wheel bundles",
  description: "A bundle is a closed set of wheels plus a signed in-toto manifest. Nothing reaches a target without passing 'bundle verify'.",
  children: [
    {
      type: "command",
      name: "create",
      summary: "Create a bundle from a directory of wheels",
      description:
        "Copy every wheel of WHEEL_DIR into a new bundle directory and check them before anything is written: each wheel is " +
        "stream-verified against its RECORD (hashes, sizes, unlisted members, unsafe names, symlinks, duplicates, zip bombs, " +
        "METADATA against the filename); every wheel's tags must fit the target; the set must be closed under the target's " +
        "marker environment (every Requires-Dist satisfied by exactly one wheel in the set); the deny list and one version per " +
        "project are enforced. Only .whl files are accepted (sdists are refused with ZWH-WHEEL-NOT-WHEEL). Then the generated " +
        "requirements.lock.txt (name==version --hash=sha256:... only) and the in-toto statement manifest.intoto.json are " +
        "written and, with --sign-key, signed (manifest.dsse.json). A CycloneDX 1.6 SBOM of the wheels (sbom.cdx.json) is " +
        "written too and covered by the statement's hashes. With --from-requirements every wheel is checked against the " +
        "publisher's pinned hashes; with --vuln-db every wheel passes the offline OSV gate, and the snapshot's sha256 and date " +
        "are recorded. On any refusal nothing is written (exit 3). The output directory must not exist.",
      positionals: [{ name: "wheel-dir", description: "Directory holding exactly the wheels of the bundle.", required: true }],
      options: [
        outOption("New bundle directory to create."),
        { name: "id", type: "string", required: true, description: "Bundle id, e.g. analytics-2026.05 (letters, digits, '.', '_', '-')." },
        { name: "channel", type: "string", required: true, description: "Release channel (must be allowed by the verifier's trust file), e.g. stable." },
        { name: "sequence", type: "number", required: true, description: "Sequence number, higher than every earlier bundle of the channel (rollback protection)." },
        { name: "expires", type: "string", defaultValue: "90d", description: "Expiry: a duration (90d, 12h, 2w) from now, or an ISO date. Expired bundles are refused." },
        targetEnvOption(TARGET_ENV_DESC),
        { name: "python", type: "string", description: "Without --target-env: target Python version (3.12 or 3.12.3)." },
        { name: "platform", type: "string", description: "Without --target-env: target sysconfig platform, os390-<release>-<machine> (e.g. os390-29.00-8561) or zos (3.14+)." },
        { name: "requirements", aliases: ["r"], type: "string", description: "Top-level requirements file (PEP 508 lines, no pip options). Without it every wheel is a root." },
        { name: "deny", type: "string", description: "Deny-list file (name, name==1.2, name<2, sha256:<hex> per line); recorded in the manifest and enforced at verify." },
        { name: "from-requirements", type: "string",
          description: "The publisher's hashed requirements file (IBM Python AI Toolkit format: --index-url/--trusted-host/--require-hashes/--only-binary :all: " +
            "header, name==version --hash=sha256:... pins). Every wheel must be pinned with its sha256 (ZWH-REQ-HASH-MISMATCH, ZWH-REQ-VERSION-MISMATCH), " +
            "no wheel may be unpinned (ZWH-REQ-EXTRA-WHEEL), every pin applicable on the target needs its wheel (ZWH-REQ-MISSING-WHEEL). The pins become " +
            "the top-level requirements; the file's name and sha256 go into the signed statement. Not with --requirements." },
        ...vulnGateOptions(true),
        { name: "trust", type: "string", description: "Trust file whose keys must have signed the --waivers documents (default ~/.zwh/trust.json, or $ZWH_TRUST); only read with --waivers." },
        { name: "test-code", type: "string", allowableValues: ["refuse", "list"],
          description: "Signed test-code rule: refuse (ZWH-POLICY-TEST-CODE) or list wheels that ship test packages (tests/ or test/ directories, test_*.py, conftest.py). Recorded in the statement and enforced again at verify." },
        { name: "test-code-allow", type: "array", description: "Wheel filenames or project names exempted from --test-code." },
        { name: "allow-startup-hook", type: "array", description: "Allow a start-up hook (a .pth file a wheel installs into site-packages) by project and file, e.g. setuptools:distutils-precedence.pth; recorded in the signed policy. Any other .pth hook is refused (ZWH-WHEEL-STARTUP-HOOK)." },
        { name: "sign-key", type: "array", description: "Private key(s) to sign the statement with (DSSE); several keys give several signatures." },
        passphraseEnvOption("Name of an environment variable holding the passphrase of encrypted --sign-key files."),
        jsonOption,
      ],
      examples: [
        { description: "Bundle ./wheels for the target described by a probe, signed by the release key",
          args: "./wheels --out bundles/analytics-7 --id analytics-7 --channel stable --sequence 7 --target-env probe.json --requirements top.txt --sign-key ~/.zwh/release.key" },
        { description: "Bundle for CPython 3.12 on z/OS 3.1 (z15) without a probe, with a deny list, unsigned",
          args: "./wheels --out bundles/b1 --id b1 --channel test --sequence 1 --python 3.12 --platform os390-29.00-8561 --deny deny.txt" },
        { description: "Bundle the IBM Python AI Toolkit wheels checked against the Toolkit's requirements file and the offline OSV gate",
          args: "./wheels --from-requirements pyaitoolkit_1.14.0.post0.txt --vuln-db all.zip --waivers waivers.dsse.json --out bundles/ai-14 --id ai-14 --channel stable --sequence 14 --target-env probe.json --sign-key ~/.zwh/release.key" },
      ],
      handler: "bundle/create",
    },
    {
      type: "command",
      name: "sign",
      summary: "Add a signature to a bundle",
      description:
        "Sign the exact bytes of the bundle's manifest.intoto.json. By default a DSSE signature is appended to " +
        "manifest.dsse.json (created if missing); each additional signer adds one, so a trust file threshold of t needs t " +
        "signers. With --ssh an OpenSSH SSHSIG (namespace zos-wheelhouse-bundle) is appended to manifest.intoto.json.sig " +
        "instead, equivalent to 'ssh-keygen -Y sign -n zos-wheelhouse-bundle -f KEY manifest.intoto.json'. The subjects are " +
        "re-hashed first: a bundle whose files changed after creation is not signed.",
      positionals: [bundleDirArg],
      options: [
        { name: "key", aliases: ["k"], type: "string", required: true, description: "Private key file (PKCS#8 PEM from 'zwh keys generate', or an unencrypted OpenSSH ed25519/P-256 key)." },
        { name: "ssh", type: "boolean", defaultValue: false, description: "Write an SSHSIG (manifest.intoto.json.sig) instead of a DSSE signature." },
        passphraseEnvOption("Name of an environment variable holding the key's passphrase."),
        jsonOption,
      ],
      examples: [
        { description: "Second signer co-signs a bundle (2-of-n trust)", args: "bundles/analytics-7 --key ~/.zwh/security-officer.key" },
        { description: "Sign with an SSH key as an SSHSIG", args: "bundles/analytics-7 --key ~/.ssh/id_ed25519 --ssh" },
      ],
      handler: "bundle/sign",
    },
    {
      type: "command",
      name: "verify",
      summary: "Verify a bundle before deployment",
      description:
        "Run every check, fail closed, in this order: (1) signatures over the exact statement bytes by trusted keys meeting " +
        "the threshold, for an allowed channel; (2) not expired, sequence not lower than the last accepted one for the channel " +
        "(equal only for the identical statement); (3) every subject present with matching size and sha256, no unlisted or " +
        "special files; (4) every wheel stream-verified against its RECORD and the manifest's facts (recordSha256, name, " +
        "version, tags, dependencies); (5) wheel tags fit the target; (6) the set is closed under the target's marker " +
        "environment; (7) deny list and one version per project; (8) requirements.lock.txt byte-identical to the one " +
        "regenerated from the manifest; (9) with --vuln-db, the offline vulnerability gate over the signed wheel list " +
        "(ZWH-VULN-MALICIOUS, ZWH-VULN-HIGH, ZWH-VULN-UNSCORED). A malformed manifest or a signature failure stops verification; otherwise every " +
        "finding is reported (--json: findings[]). Exit 0 = verified, 3 = refused. Verify only checks the sequence; a " +
        "successful deploy records it.",
      positionals: [{ name: "dir", description: "Bundle directory (unpack an archive first).", required: true }],
      options: [
        { name: "trust", type: "string", description: TRUST_DESC },
        targetEnvOption(TARGET_ENV_DESC + " When given, it must match the bundle's target and its tags and marker environment are used."),
        { name: "state", type: "string", description: "Rollback state file with the last accepted sequence per channel (default ~/.zwh/trust-state.json, or $ZWH_TRUST_STATE)." },
        { name: "deny", type: "string", description: "A local deny-list file applied in addition to the bundle's own." },
        ...vulnGateOptions(false),
        jsonOption,
      ],
      examples: [
        { description: "Verify a bundle against the default trust file", args: "bundles/analytics-7" },
        { description: "Verify a bundle against today's OSV snapshot (step 9)", args: "bundles/analytics-7 --vuln-db all.zip --waivers waivers.dsse.json" },
        { description: "Verify for a specific probed target and print every finding as JSON", args: "bundles/analytics-7 --trust trust.json --target-env probe.json --json" },
      ],
      handler: "bundle/verify",
    },
    {
      type: "command",
      name: "diff",
      summary: "Compare two bundles, or a bundle and a requirements file",
      description:
        "List what changes between A and B: packages added, removed, upgraded and downgraded (PEP 440 order), and packages " +
        "whose version is the same but whose wheel hash changed (a rebuilt or substituted wheel). A and B are bundle " +
        "directories (their signed statements are read; verify them separately) or hashed requirements files (Toolkit " +
        "format). With --vuln-db, also the vulnerability delta: matches B fixes, matches B introduces, and matches both " +
        "have. Output as a table, JSON or Markdown (--format). Exit 0.",
      positionals: [
        { name: "a", description: "The current bundle directory or requirements file.", required: true },
        { name: "b", description: "The candidate bundle directory or requirements file.", required: true },
      ],
      options: [
        { name: "format", type: "string", allowableValues: ["table", "json", "markdown"], defaultValue: "table", description: "Output format." },
        ...vulnGateOptions(true).filter((o) => o.name !== "waivers"),
        jsonOption,
      ],
      examples: [
        { description: "What changes if I take the Toolkit's 1.14.0.post1", args: "bundles/ai-14 pyaitoolkit_1.14.0.post1.txt --vuln-db all.zip" },
        { description: "Markdown for a change ticket", args: "bundles/ai-13 bundles/ai-14 --format markdown" },
      ],
      handler: "bundle/diff",
    },
    {
      type: "command",
      name: "sbom",
      summary: "Write a bundle's CycloneDX 1.6 SBOM",
      description:
        "Write the CycloneDX 1.6 JSON SBOM of a bundle: one library component per wheel (purl pkg:pypi/<name>@<version>?file_name=<wheel>, " +
        "SHA-256), the dependency graph from Requires-Dist under the target's marker environment, the bundle (id, channel, " +
        "sequence, statement digest) and its signers as metadata, wheelhouse: properties. The statement is read, not " +
        "verified: run 'bundle verify' first. With --trust, signer names come from the trust file and only verified signers " +
        "are listed.",
      positionals: [bundleDirArg],
      options: [
        outOption("File to write (must not exist); without it the SBOM is printed.", false),
        { name: "trust", type: "string", description: "Trust file to name and check the signers with." },
        jsonOption,
      ],
      examples: [
        { description: "Write the SBOM of a bundle", args: "bundles/analytics-7 --out analytics-7.cdx.json" },
        { description: "Print it, with signer names from the trust file", args: "bundles/analytics-7 --trust trust.json" },
      ],
      handler: "bundle/sbom",
    },
    {
      type: "command",
      name: "inspect",
      summary: "Show what is inside a bundle",
      description:
        "Print the bundle's identity, target, wheels, signatures (key ids; with --trust also signer names and whether each " +
        "signature verifies), the closure tree on the bundle's target and the policy result. Inspect does not require trust " +
        "and does not verify wheel contents: use 'bundle verify' before deploying.",
      positionals: [bundleDirArg],
      options: [
        { name: "trust", type: "string", description: "Optional trust file, to name the signers and check their signatures." },
        jsonOption,
      ],
      examples: [
        { description: "Show a bundle's contents and closure tree", args: "bundles/analytics-7" },
        { description: "Show who signed it, with names from a trust file", args: "bundles/analytics-7 --trust trust.json --json" },
      ],
      handler: "bundle/inspect",
    },
    {
      type: "command",
      name: "pack",
      summary: "Pack a bundle directory into a tar archive",
      description:
        "Write the bundle directory as one POSIX ustar archive (regular files and directories only, sorted, fixed owner, " +
        "mode and time, so equal bundles give equal archives) for transfer across an air gap. Symlinks or special files in the " +
        "bundle are refused. The archive is not signed itself: the manifest inside is, and 'bundle verify' checks it after unpack.",
      positionals: [bundleDirArg],
      options: [
        outOption("Archive file to create (must not exist)."),
        jsonOption,
      ],
      examples: [{ description: "Pack a bundle for transfer", args: "bundles/analytics-7 --out analytics-7.tar" }],
      handler: "bundle/pack",
    },
    {
      type: "command",
      name: "unpack",
      summary: "Unpack a bundle archive safely",
      description:
        "Extract a bundle archive into a new directory. Every header is validated before anything is written: absolute " +
        "names, '..' segments and backslashes (ZWH-BUNDLE-TAR-UNSAFE-PATH), symlinks, hard links and device entries " +
        "(ZWH-BUNDLE-TAR-LINK), duplicate paths (ZWH-BUNDLE-TAR-DUPLICATE) and damaged archives (ZWH-BUNDLE-TAR-INVALID) " +
        "are refused with exit 3. Files are extracted into a temporary directory and renamed into place. Verify the result " +
        "with 'bundle verify'.",
      positionals: [{ name: "file", description: "Archive written by 'bundle pack'.", required: true }],
      options: [
        outOption("New directory to extract into (must not exist)."),
        jsonOption,
      ],
      examples: [{ description: "Unpack and then verify", args: "analytics-7.tar --out /tmp/analytics-7" }],
      handler: "bundle/unpack",
    },
  ],
};
