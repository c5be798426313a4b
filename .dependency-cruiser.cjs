/**
 * Layering rules of src/ (checked by test/unit/layering.test.ts; run by hand with
 * `npx depcruise src --config .dependency-cruiser.cjs`).
 *
 *   src/cli            both CLIs: may use everything, reaches the pipeline through the SDK
 *   src/index.ts       the SDK (and src/imperative.ts, the Zowe plugin's entry): top level
 *   src/fleet, src/report, src/deploy   the pipeline (observe → plan → apply → record)
 *   src/inventory      the store
 *   src/bundle         bundles, signatures, wheel files (local I/O)
 *   src/remote         transports, quoting, env block, tags, target helpers
 *   src/io             local file I/O primitives
 *   src/core           pure: no I/O, imports only src/core
 */
const BELOW_CLI = "^src/(?!cli/|index\\.ts$|imperative\\.ts$)";
const IO_MODULES = "^(fs|fs/promises|node:fs|node:fs/promises|net|node:net|child_process|node:child_process|http|node:http|https|node:https|dgram|node:dgram|tls|node:tls|worker_threads|node:worker_threads|readline|node:readline|os|node:os|process|node:process)$";

module.exports = {
  forbidden: [
    {
      name: "core-is-pure",
      severity: "error",
      comment: "src/core has no I/O: it imports only src/core (and pure libraries), never fs, net, child_process, os.",
      from: { path: "^src/core/" },
      to: { path: "^src/(?!core/)" },
    },
    {
      name: "core-no-io-builtins",
      severity: "error",
      comment: "src/core has no I/O: no Node I/O modules.",
      from: { path: "^src/core/" },
      to: { dependencyTypes: ["core"], path: IO_MODULES },
    },
    {
      name: "no-cli-below-cli",
      severity: "error",
      comment: "Nothing below src/cli imports src/cli (types included): the pipeline does not know which CLI runs it.",
      from: { path: BELOW_CLI },
      to: { path: "^src/cli/" },
    },
    {
      name: "no-sdk-below-cli",
      severity: "error",
      comment: "src/index.ts is the SDK; only the CLIs (and src/imperative.ts) import it.",
      from: { path: BELOW_CLI },
      to: { path: "^src/index\\.ts$" },
    },
    {
      name: "no-imperative-below-cli",
      severity: "error",
      comment: "No Zowe imperative singletons (ImperativeConfig, Logger, CredentialManager) below the CLI; the z/OSMF transport may use the Zowe SDK packages, " +
        "and its session module imperative's Session class and EncodeUri (a REST session object and URL encoding, no singletons).",
      from: { path: BELOW_CLI, pathNot: "^src/remote/zosmf/session\\.ts$" },
      to: { path: "(^|/)node_modules/@zowe/(imperative|cli)/" },
    },
    {
      name: "pipeline-uses-transport-interface",
      severity: "error",
      comment: "observe/apply/record work on src/remote/transport.ts; only src/deploy/connect.ts knows the SSH implementation.",
      from: { path: "^src/(deploy|fleet|report)/", pathNot: "^src/deploy/connect\\.ts$" },
      to: { path: "^src/remote/(connection|ssh-transport|auth|host-verify|known-hosts|ssh-errors)\\.ts$" },
    },
    {
      name: "lower-layers-not-up",
      severity: "error",
      comment: "bundle, remote, inventory and io do not import the pipeline (deploy, fleet, report).",
      from: { path: "^src/(bundle|remote|inventory|io)/" },
      to: { path: "^src/(deploy|fleet|report)/" },
    },
    {
      name: "remote-not-bundle-inventory",
      severity: "error",
      comment: "Transports do not know bundles or the store.",
      from: { path: "^src/remote/" },
      to: { path: "^src/(bundle|inventory)/" },
    },
    {
      name: "io-only-core",
      severity: "error",
      comment: "src/io is the local file primitives: it imports only src/core.",
      from: { path: "^src/io/" },
      to: { path: "^src/(?!core/|io/)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
  },
};
