/**
 * The Zowe CLI plugin's configuration module (package.json "imperative.configurationModule").
 * Commands come from the shared tree, converted at load time (src/cli/zowe/convert.ts), so
 * `zowe wheelhouse` and `zwh` can never drift apart.
 */
import type { IImperativeConfig } from "@zowe/imperative";
import { commandTree } from "./cli/defs/tree";
import { convertTree } from "./cli/zowe/convert";
import { wheelhouseProfileTypeConfiguration } from "./cli/zowe/wheelhouse-profile";

const tree = commandTree();

const config: IImperativeConfig = {
  name: tree.name,
  pluginAliases: tree.aliases,
  pluginSummary: tree.summary,
  rootCommandDescription: tree.description,
  productDisplayName: "Wheelhouse",
  definitions: convertTree(tree).definitions,
  profiles: [wheelhouseProfileTypeConfiguration()],
};

export = config;
