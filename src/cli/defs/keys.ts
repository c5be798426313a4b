/** `keys` group: signing keys for bundles. */
import type { GroupDef } from "../framework/types";

export const keysGroup: GroupDef = {
  type: "group",
  name: "keys",
  summary: "Create bundle signing keys",
  description: "Generate Ed25519 or ECDSA P-256 key pairs used to sign wheel bundles.",
  children: [],
};
