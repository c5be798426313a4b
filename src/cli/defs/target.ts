/** `target` group: facts about a z/OS host. Commands are added by the transport/deploy work. */
import type { CommandDef, GroupDef } from "../framework/types";
import { forceOption, jsonOption, rootOption, targetOptions } from "./options";

export const targetProbeCommand: CommandDef = {
  type: "command",
  name: "probe",
  summary: "Read a z/OS host's facts: uname, Python, pip, compatible wheel tags, free space, tagging",
  description:
    "Connects over SSH (host key always verified), uploads a small standard-library Python helper (tagged " +
    "ISO8859-1) and reports the system identity (uname), the target Python (version, sys.platform, " +
    "platform.system(), sysconfig.get_platform()), the pip version, the wheel tags the target accepts in pip's " +
    "priority order, the PEP 508 marker environment, the free space under --root, and whether z/OS file tagging " +
    "(chtag, ls -T) works there. With --json the result is one object that 'bundle create --target-env' reads. " +
    "Read-only: the helper runs from a private per-run directory under /tmp that the probe removes, so nothing is left on the host.",
  options: [...targetOptions, rootOption, jsonOption],
  examples: [
    {
      description: "Probe a host with a key file, verifying its host key against ~/.ssh/known_hosts",
      args: "--host lpar1.example.com --user IBMUSER --identity ~/.ssh/id_ed25519",
      zowe: "--host lpar1.example.com --user IBMUSER --privateKey ~/.ssh/id_ed25519",
    },
    {
      description: "Probe with a pinned host key and a password from the environment, saving the facts as JSON",
      args: "--host lpar1 --port 2222 --user IBMUSER --password-env ZOS_PW --host-key SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8 --root /u/wheels --json",
      // In Zowe the password comes from the ssh profile's secure store (or ZOWE_OPT_PASSWORD).
      zowe: "--ssh-profile lpar1 --host-key SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8 --root /u/wheels --rfj",
    },
    {
      description: "Probe a host whose Python is not at the default path",
      args: "--host lpar2 --user IBMUSER --python /usr/lpp/IBM/cyp/v3r13/pyz/bin/python3",
    },
  ],
  handler: "target/probe",
  connects: true,
};

export const targetTrustCommand: CommandDef = {
  type: "command",
  name: "trust",
  summary: "Install the trust anchors a target uses to check bundle signatures itself",
  description:
    "An explicit administrator step: validates the trust file locally, then installs it as DIR/.wheelhouse/trust.json on " +
    "the target (tagged ISO8859-1 text, read-only, replaced atomically). 'deploy' makes the target verify every bundle " +
    "signature against this file with a standard-library verifier, and refuses when it is missing. Installing a trust " +
    "file with a lower version than the installed one is refused unless --force, and a different file with the same " +
    "version unless --replace (the output then says which keys were removed and added). Recorded in the target's audit log.",
  options: [
    ...targetOptions,
    { ...rootOption, required: true },
    { name: "trust", type: "string", required: true, description: "Trust file to install (see 'zwh trust init' / 'trust add-key')." },
    forceOption("Allow replacing a trust file with a higher version."),
    { name: "replace", type: "boolean", defaultValue: false,
      description: "Allow replacing a different trust file of the same version (a key change without a version bump); the output lists the keys removed and added." },
    jsonOption,
  ],
  examples: [
    {
      description: "Install the release keys on an LPAR",
      args: "--host lpar1 --user IBMUSER --root /u/apps/wheelhouse --trust ./trust.json",
      zowe: "--ssh-profile lpar1 --wheelhouse-profile prod --trust ./trust.json",
    },
  ],
  handler: "target/trust",
  connects: true,
};

export const targetGroup: GroupDef = {
  type: "group",
  name: "target",
  summary: "Inspect and prepare z/OS target hosts",
  description: "Commands that connect to a z/OS UNIX host over SSH to read its facts or prepare it for deployments.",
  children: [targetProbeCommand, targetTrustCommand],
};
