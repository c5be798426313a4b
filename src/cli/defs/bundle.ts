/** `bundle` group: create, sign, verify, inspect, pack and unpack wheel bundles. */
import type { GroupDef } from "../framework/types";

export const bundleGroup: GroupDef = {
  type: "group",
  name: "bundle",
  summary: "Create, sign and verify wheel bundles",
  description: "A bundle is a closed set of wheels plus a signed in-toto manifest. Nothing reaches a target without passing 'bundle verify'.",
  children: [],
};
