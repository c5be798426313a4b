/** The fleet file: the documented shape, its defaults, and one located error per kind of mistake. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { DEFAULT_POLICY, canaryHosts, loadFleetFile, parseFleetFile } from "../../src/fleet/fleet-file";

const FP = "SHA256:" + "A".repeat(43);
const ISSUE_EXAMPLE = `defaults: { root: /u/wheelhouse, python: /usr/lpp/IBM/cyp/v3r11/pyz/bin/python3, trust: trust.json }
targets:
  lpar1: { profile: lpar1 }                 # a Zowe ssh profile
  lpar2: { host: 10.1.1.2, port: 22, user: IBMUSER, identity: ~/.ssh/id_ed25519, knownHosts: ~/.ssh/known_hosts,
           python: /usr/lpp/IBM/cyp/v3r12/pyz/bin/python3 }   # any default can be overridden per target
  lpar3: { host: 10.1.1.3, user: IBMUSER, hostKey: "${FP}", root: /u/other }
groups: { canary: [lpar1], plex1: [lpar2, lpar3] }
sharedFilesystems: { plexfs: [lpar2, lpar3] }   # one install, the others verified, not reinstalled
rollout: { canary: canary, serial: [1, "50%", "100%"], maxFailPercentage: 0, maxFailTotal: 1, forks: 16 }
`;

const HOME = "/home/op";
const parse = (text: string, file = "/site/fleet.yaml") => parseFleetFile(text, file, { home: HOME });

/** The ZWH-FLEET-INVALID error of parsing `text` (fails the test when it parses). */
function problems(text: string): { error: ZwhError; lines: string[] } {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ZwhError);
    const error = e as ZwhError;
    expect(error.code).toBe("ZWH-FLEET-INVALID");
    const ps = (error.details?.problems ?? []) as Array<{ line: number; col: number; key: string; message: string }>;
    return { error, lines: ps.map((p) => `${p.line}:${p.col} ${p.key}: ${p.message}`) };
  }
  throw new Error("expected the fleet file to be refused");
}

const MIN = "defaults: { root: /u/wh }\ntargets:\n  a: { host: h1, user: U }\n";

describe("parseFleetFile: the issue's example", () => {
  const f = parse(ISSUE_EXAMPLE);

  it("reads the targets in file order with defaults merged and overridden", () => {
    expect(f.path).toBe("/site/fleet.yaml");
    expect(f.targets.map((t) => t.name)).toEqual(["lpar1", "lpar2", "lpar3"]);
    expect(f.targets[0]).toEqual({
      name: "lpar1", profile: "lpar1", root: "/u/wheelhouse", python: "/usr/lpp/IBM/cyp/v3r11/pyz/bin/python3", trust: "/site/trust.json", tags: [], line: 3,
    });
    expect(f.targets[1]).toEqual({
      name: "lpar2", host: "10.1.1.2", port: 22, user: "IBMUSER", identity: "/home/op/.ssh/id_ed25519", knownHosts: "/home/op/.ssh/known_hosts",
      python: "/usr/lpp/IBM/cyp/v3r12/pyz/bin/python3", root: "/u/wheelhouse", trust: "/site/trust.json", tags: [], line: 4,
    });
    expect(f.targets[2]).toMatchObject({ name: "lpar3", host: "10.1.1.3", user: "IBMUSER", hostKey: FP, root: "/u/other", line: 6 });
    expect(f.targets[2]!.port).toBeUndefined();
  });

  it("reads groups, shared file systems and the rollout policy", () => {
    expect(f.groups).toEqual({ canary: ["lpar1"], plex1: ["lpar2", "lpar3"] });
    expect(f.sharedFilesystems).toEqual({ plexfs: ["lpar2", "lpar3"] });
    expect(f.rollout).toEqual({
      canary: "canary", serial: [1, "50%", "100%"], maxFailPercentage: 0, maxFailTotal: 1, forks: 16,
      continueOnBatchFailure: false, progressDeadlineSeconds: 300, order: "inventory",
    });
    expect(canaryHosts(f)).toEqual(["lpar1"]);
  });
});

describe("parseFleetFile: defaults and accepted forms", () => {
  it("a minimal file gets the documented policy defaults", () => {
    const f = parse(MIN);
    expect(f.rollout).toEqual({ serial: [1, "25%", "100%"], maxFailPercentage: 0, continueOnBatchFailure: false, forks: 10, progressDeadlineSeconds: 300, order: "inventory" });
    expect(f.rollout).toEqual(DEFAULT_POLICY);
    expect(f.groups).toEqual({});
    expect(f.sharedFilesystems).toEqual({});
    expect(canaryHosts(f)).toEqual([]);
  });

  it("each file gets its own copy of the default policy", () => {
    const a = parse(MIN);
    (a.rollout.serial as unknown[]).push(99);
    expect(parse(MIN).rollout.serial).toEqual([1, "25%", "100%"]);
    expect(parse(MIN + "rollout: { forks: 3 }\n").rollout.serial).toEqual([1, "25%", "100%"]);
  });

  it("empty optional sections are empty, not errors", () => {
    const f = parse(MIN + "groups:\nsharedFilesystems:\nrollout:\n");
    expect(f.groups).toEqual({});
    expect(f.rollout).toEqual(DEFAULT_POLICY);
  });

  it("every rollout key", () => {
    const f = parse(MIN + `groups: { c: [a] }\nrollout:\n  canary: c\n  serial: 2\n  maxFailPercentage: 25\n  maxFailTotal: "10%"\n  forks: 256\n  continueOnBatchFailure: true\n  progressDeadlineSeconds: 86400\n  order: reverse_sorted\n`);
    expect(f.rollout).toEqual({ canary: "c", serial: [2], maxFailPercentage: 25, maxFailTotal: "10%", forks: 256, continueOnBatchFailure: true, progressDeadlineSeconds: 86400, order: "reverse_sorted" });
  });

  it("serial accepts a single percentage and quoted counts", () => {
    expect(parse(MIN + "rollout: { serial: 30% }\n").rollout.serial).toEqual(["30%"]);
    expect(parse(MIN + 'rollout: { serial: ["2", 5, 100%] }\n').rollout.serial).toEqual([2, 5, "100%"]);
  });

  it("tags, block style lists and a port of 1 and 65535", () => {
    const f = parse("defaults: { root: /u/wh, port: 65535 }\ntargets:\n  a:\n    host: h1\n    tags:\n      - prod\n      - plex1\n  b: { host: h2, port: 1 }\n");
    expect(f.targets.map((t) => [t.name, t.port, t.tags])).toEqual([["a", 65535, ["prod", "plex1"]], ["b", 1, []]]);
  });

  it("anchors and aliases are followed", () => {
    const f = parse("defaults: { root: /u/wh }\ntargets:\n  a: { host: h1, tags: &t [prod, plex] }\n  b: { host: h2, tags: *t }\ngroups:\n  g: &members [a, b]\n  h: *members\n");
    expect(f.targets[1]!.tags).toEqual(["prod", "plex"]);
    expect(f.groups).toEqual({ g: ["a", "b"], h: ["a", "b"] });
  });

  it("relative trust/identity/knownHosts resolve against the fleet file; ~ is the home directory; absolute paths stay", () => {
    const f = parse("defaults: { root: /u/wh, trust: ../keys/trust.json }\ntargets:\n  a: { host: h, identity: \"~\", knownHosts: keys/kh }\n  b: { host: h, identity: /etc/id, knownHosts: ~/kh, trust: /t.json }\n", "/site/fleets/prod.yaml");
    expect(f.targets.map((t) => [t.trust, t.identity, t.knownHosts])).toEqual([
      ["/site/keys/trust.json", "/home/op", "/site/fleets/keys/kh"],
      ["/t.json", "/etc/id", "/home/op/kh"],
    ]);
  });

  it("a profile target inherits only root, python and trust from defaults: its connection comes from the profile", () => {
    const f = parse("defaults: { root: /u/wh, python: /p/python3, trust: t.json, user: IBMUSER, port: 2222, identity: ~/id, knownHosts: ~/kh }\ntargets:\n  a: { profile: pa }\n  b: { profile: pb, user: OTHER, port: 22 }\n  c: { host: h }\n");
    expect(f.targets[0]).toEqual({ name: "a", profile: "pa", root: "/u/wh", python: "/p/python3", trust: "/site/t.json", tags: [], line: 3 });
    expect(f.targets[1]).toMatchObject({ profile: "pb", user: "OTHER", port: 22 });
    expect(f.targets[1]!.identity).toBeUndefined();
    expect(f.targets[2]).toMatchObject({ host: "h", user: "IBMUSER", port: 2222, identity: "/home/op/id", knownHosts: "/home/op/kh" });
  });

  it("a number-looking target name is taken as written", () => {
    expect(parse("defaults: { root: /u/wh }\ntargets:\n  0101: { host: h }\n").targets[0]!.name).toBe("0101");
  });
});

describe("parseFleetFile: every error names file:line:col and the key", () => {
  // [what, file text, expected problem lines (line:col key: message fragment)]
  const cases: Array<[string, string, string[]]> = [
    ["unknown top-level key with a suggestion", MIN + "rolout: {}\n", ["4:1 rolout: unknown key 'rolout' (did you mean 'rollout'?)"]],
    ["unknown target key (swapped letters)", "defaults: { root: /u/wh }\ntargets:\n  a: { hsot: h1 }\n", ["3:8 targets.a.hsot: unknown key 'hsot' (did you mean 'host'?)", "3:3 targets.a: has neither host: nor profile:"]],
    ["unknown defaults key in another case", "defaults: { root: /u/wh, knownhosts: x }\ntargets:\n  a: { host: h }\n", ["1:26 defaults.knownhosts: unknown key 'knownhosts' (did you mean 'knownHosts'?)"]],
    ["a target-only key under defaults", "defaults: { root: /u/wh, host: x }\ntargets:\n  a: { host: h }\n", ["1:26 defaults.host: unknown key 'host'"]],
    ["unknown rollout key", MIN + "rollout: { forsk: 3 }\n", ["4:12 rollout.forsk: unknown key 'forsk' (did you mean 'forks'?)"]],
    ["YAML merge keys", "defaults: { root: /u/wh }\ntargets:\n  a: { <<: {host: h} }\n", ["3:8 targets.a.<<: unknown key '<<' (YAML merge keys are not supported; put shared settings under defaults:)", "3:3 targets.a: has neither host: nor profile:"]],
    ["duplicate target", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h }\n  a: { host: i }\n", ["4:3 a: duplicate key 'a'"]],
    ["duplicate key in a flow map", 'defaults: { root: /u/wh }\ntargets:\n  a: { host: h, "host": i }\n', ["3:17 host: duplicate key 'host'"]],
    ["port 1e3", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, port: 1e3 }\n", ["3:23 targets.a.port: must be a whole number from 1 to 65535 in decimal digits, not the number 1e3"]],
    ["port 0x16", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, port: 0x16 }\n", ["3:23 targets.a.port: must be a whole number from 1 to 65535 in decimal digits, not the number 0x16"]],
    ["port 022", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, port: 022 }\n", ["3:23 targets.a.port: must be a whole number from 1 to 65535 in decimal digits, not the number 022"]],
    ["port 22.0", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, port: 22.0 }\n", ["3:23 targets.a.port: must be a whole number from 1 to 65535 in decimal digits, not the number 22.0"]],
    ["port quoted", 'defaults: { root: /u/wh }\ntargets:\n  a: { host: h, port: "22" }\n', ["3:23 targets.a.port: must be a whole number from 1 to 65535 in decimal digits, not '22'"]],
    ["port 0", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, port: 0 }\n", ["3:23 targets.a.port: must be from 1 to 65535, not 0"]],
    ["port 65536", "defaults: { port: 65536, root: /u/wh }\ntargets:\n  a: { host: h }\n", ["1:19 defaults.port: must be from 1 to 65535, not 65536"]],
    ["port -1", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, port: -1 }\n", ["3:23 targets.a.port: must be a whole number from 1 to 65535 in decimal digits, not the number -1"]],
    ["forks 0", MIN + "rollout: { forks: 0 }\n", ["4:19 rollout.forks: must be from 1 to 256, not 0"]],
    ["forks 257", MIN + "rollout: { forks: 257 }\n", ["4:19 rollout.forks: must be from 1 to 256, not 257"]],
    ["forks 1.5", MIN + "rollout: { forks: 1.5 }\n", ["4:19 rollout.forks: must be a whole number from 1 to 256 in decimal digits, not the number 1.5"]],
    ["maxFailPercentage 101", MIN + "rollout: { maxFailPercentage: 101 }\n", ["4:31 rollout.maxFailPercentage: must be from 0 to 100, not 101"]],
    ["maxFailPercentage as 10%", MIN + "rollout: { maxFailPercentage: 10% }\n", ["4:31 rollout.maxFailPercentage: must be a whole number from 0 to 100 in decimal digits, not '10%'"]],
    ["maxFailTotal 101%", MIN + 'rollout: { maxFailTotal: "101%" }\n', ["4:26 rollout.maxFailTotal: must be a percentage from 0% to 100% such as \"25%\", not '101%'"]],
    ["maxFailTotal 5.5%", MIN + "rollout: { maxFailTotal: 5.5% }\n", ["4:26 rollout.maxFailTotal: must be a percentage from 0% to 100% such as \"25%\", not '5.5%'"]],
    ["maxFailTotal 1e1", MIN + "rollout: { maxFailTotal: 1e1 }\n", ["4:26 rollout.maxFailTotal: must be a whole number from 0 to 1000000 in decimal digits, not the number 1e1"]],
    ["progressDeadlineSeconds 0", MIN + "rollout: { progressDeadlineSeconds: 0 }\n", ["4:37 rollout.progressDeadlineSeconds: must be from 1 to 86400, not 0"]],
    ["serial 0", MIN + "rollout: { serial: [1, 0] }\n", ["4:24 rollout.serial[1]: must be a batch size: a whole number of hosts (at least 1) or a percentage from 1% to 100% such as \"25%\", not the number 0"]],
    ["serial 0%", MIN + "rollout: { serial: 0% }\n", ["4:20 rollout.serial: must be a batch size: a whole number of hosts (at least 1) or a percentage from 1% to 100% such as \"25%\", not '0%'"]],
    ["serial 150%", MIN + 'rollout: { serial: ["150%"] }\n', ["4:21 rollout.serial[0]: must be a batch size"]],
    ["serial 1e2", MIN + "rollout: { serial: [1e2] }\n", ["4:21 rollout.serial[0]: must be a batch size"]],
    ["serial 2.5", MIN + "rollout: { serial: [2.5] }\n", ["4:21 rollout.serial[0]: must be a batch size"]],
    ["serial empty", MIN + "rollout: { serial: [] }\n", ["4:20 rollout.serial: is empty"]],
    ["continueOnBatchFailure yes", MIN + "rollout: { continueOnBatchFailure: yes }\n", ["4:36 rollout.continueOnBatchFailure: must be true or false, not 'yes'"]],
    ["continueOnBatchFailure quoted", MIN + 'rollout: { continueOnBatchFailure: "true" }\n', ["4:36 rollout.continueOnBatchFailure: must be true or false, not 'true'"]],
    ["order shuffle", MIN + "rollout: { order: shuffle }\n", ["4:19 rollout.order: 'shuffle' is not an order; use one of inventory, reverse_inventory, sorted, reverse_sorted"]],
    ["order prefix", MIN + "rollout: { order: sort }\n", ["4:19 rollout.order: 'sort' is not an order (did you mean 'sorted'?)"]],
    ["canary not a group", MIN + "groups: { cn: [a] }\nrollout: { canary: can }\n", ["5:20 rollout.canary: 'can' is not a group (did you mean 'cn'?)"]],
    ["canary names a target", MIN + "rollout: { canary: a }\n", ["4:20 rollout.canary: 'a' is not a group ('a' is a target: make a group of it, e.g. groups: { canary: [a] })"]],
    ["target with neither host nor profile", "defaults: { root: /u/wh }\ntargets:\n  a: { user: U }\n", ["3:3 targets.a: has neither host: nor profile:"]],
    ["target with no settings", "defaults: { root: /u/wh }\ntargets:\n  a:\n", ["3:3 targets.a: has no settings"]],
    ["target without root", "targets:\n  a: { host: h }\n", ["2:3 targets.a: has no root:"]],
    ["relative root", "defaults: { root: u/wh }\ntargets:\n  a: { host: h }\n", ["1:19 defaults.root: must be an absolute path on the target (starting with /), not 'u/wh'", "3:3 targets.a: has no root:"]],
    ["relative python", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, python: python3 }\n", ["3:25 targets.a.python: must be an absolute path on the target"]],
    ["a bare ~ is YAML's null", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, identity: ~ }\n", ["3:27 targets.a.identity: must be text, not nothing (a bare ~ is YAML's null; write ~/… or \"~\")"]],
    ["~user in identity", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, identity: ~op/.ssh/id }\n", ["3:27 targets.a.identity: '~' is expanded only as ~/… in identity and knownHosts"]],
    ["~ in trust", "defaults: { root: /u/wh, trust: ~/trust.json }\ntargets:\n  a: { host: h }\n", ["1:33 defaults.trust: '~' is expanded only as ~/…"]],
    ["host with a space", "defaults: { root: /u/wh }\ntargets:\n  a: { host: 'h -oProxyCommand=x' }\n", ["3:14 targets.a.host: 'h -oProxyCommand=x' is not a host name or IP address"]],
    ["host starting with a dash", "defaults: { root: /u/wh }\ntargets:\n  a: { host: -oX }\n", ["3:14 targets.a.host: '-oX' is not a host name or IP address"]],
    ["host as a number", "defaults: { root: /u/wh }\ntargets:\n  a: { host: 10.1 }\n", ['3:14 targets.a.host: must be text, not the number 10.1 (write "10.1" in quotes if it is meant as text)']],
    ["user as a number", "defaults: { root: /u/wh, user: 1234 }\ntargets:\n  a: { host: h }\n", ['1:32 defaults.user: must be text, not the number 1234 (write "1234" in quotes if it is meant as text)']],
    ["empty user", "defaults: { root: /u/wh, user: '' }\ntargets:\n  a: { host: h }\n", ["1:32 defaults.user: is empty"]],
    ["bad hostKey", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, hostKey: 'SHA256:abc' }\n", ["3:26 targets.a.hostKey: the pinned host key fingerprint is malformed"]],
    ["tags not a list", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, tags: prod }\n", ["3:23 targets.a.tags: tags must be a list"]],
    ["a bad tag", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h, tags: [prod, 'two words', -x] }\n", ["3:30 targets.a.tags[1]: 'two words' is not a tag", "3:43 targets.a.tags[2]: '-x' is not a tag"]],
    ["target not a mapping", "defaults: { root: /u/wh }\ntargets:\n  a: h1\n", ["3:6 targets.a: target a must be a mapping"]],
    ["bad target name", "defaults: { root: /u/wh }\ntargets:\n  -x: { host: h }\n", ["3:3 targets.-x: '-x' is not a valid target name"]],
    ["reserved target name", "defaults: { root: /u/wh }\ntargets:\n  all: { host: h }\n", ["3:3 targets.all: 'all' is reserved"]],
    ["targets empty", "defaults: { root: /u/wh }\ntargets: {}\n", ["2:10 targets: no targets"]],
    ["targets missing", "defaults: { root: /u/wh }\n", ["1:1 targets: no targets"]],
    ["targets is a list", "targets: [a, b]\n", ["1:10 targets: targets must be a mapping"]],
    ["empty file", "", ["1:1 targets: the fleet file is empty"]],
    ["comment-only file", "# nothing yet\n", ["1:1 targets: the fleet file is empty"]],
    ["file is a list", "- a\n", ["1:1 (top level): the fleet file must be a mapping"]],
    ["group member not a target", MIN + "groups: { g: [a, b] }\n", ["4:18 groups.g[1]: 'b' is not a target"]],
    ["group member listed twice", MIN + "groups: { g: [a, a] }\n", ["4:18 groups.g[1]: 'a' is listed twice"]],
    ["group named like a target", MIN + "groups: { a: [a] }\n", ["4:11 groups.a: group 'a' has the name of a target"]],
    ["empty group", MIN + "groups: { g: [] }\n", ["4:14 groups.g: lists no targets"]],
    ["group member not text", MIN + "groups: { g: [a, [b]] }\n", ["4:18 groups.g[1]: must be text, not a list"]],
    ["the index of a member after one that is not text", MIN + "groups: { g: [1, z] }\n", ["4:15 groups.g[0]: must be text, not the number 1", "4:18 groups.g[1]: 'z' is not a target"]],
    ["shared file system member not a target", MIN + "sharedFilesystems: { fs: [a, z] }\n", ["4:30 sharedFilesystems.fs[1]: 'z' is not a target"]],
    ["host in two shared file systems", "defaults: { root: /u/wh }\ntargets:\n  a: { host: h }\n  b: { host: i }\nsharedFilesystems:\n  fs1: [a, b]\n  fs2: [b]\n", ["7:9 sharedFilesystems.fs2[0]: target 'b' is already in shared file system 'fs1'"]],
    ["not YAML", "targets: [\n", ["(yaml)"]],
    ["two documents", MIN + "---\ntargets: {}\n", ["4:1 (yaml): Source contains multiple documents"]],
    ["an unknown tag", "defaults: { root: !path /u/wh }\ntargets:\n  a: { host: h }\n", ["1:19 (yaml): Unresolved tag: !path"]],
  ];

  for (const [what, text, expected] of cases) {
    it(what, () => {
      const { error, lines } = problems(text);
      expect(lines.length, lines.join("\n")).toBe(expected.length);
      for (const [i, e] of expected.entries()) expect(lines[i]).toContain(e);
      // The message names the file and the first problem's position.
      expect(error.message).toContain("/site/fleet.yaml:");
      expect(error.subject).toBe("/site/fleet.yaml");
      expect(error.hint).toContain("docs/fleet.md");
      expect(error.exitCode).toBe(1);
    });
  }

  it("a single problem is the message itself: file:line:col: key: what", () => {
    const { error } = problems(MIN + "rollout: { forks: 0 }\n");
    expect(error.message).toBe("invalid fleet file /site/fleet.yaml:4:19: rollout.forks: must be from 1 to 256, not 0");
  });

  it("all problems are reported at once, the first 20 listed", () => {
    const text = "defaults: { root: /u/wh }\ntargets:\n" + Array.from({ length: 25 }, (_, i) => `  t${i}: { host: h, port: 0 }\n`).join("");
    const { error, lines } = problems(text);
    expect(lines.length).toBe(20);
    expect(error.message).toContain("25 problems:");
    expect(error.message).toContain("/site/fleet.yaml:3:24: targets.t0.port: must be from 1 to 65535, not 0");
    expect(error.message).toContain("… and 5 more");
  });

  it("alias expansion is bounded (billion laughs)", () => {
    const rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) rows.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill("*" + String.fromCharCode(96 + i)).join(", ")}]`);
    const { lines } = problems(`defaults:\n  root: /u/wh\ntargets:\n  t: { host: h }\ngroups:\n${rows.map((r) => "  " + r).join("\n")}\n`);
    expect(lines[0]).toContain("too many alias expansions (more than 100)");
  });

  it("a self-referencing alias is an error, not a hang", () => {
    const { lines } = problems("defaults: { root: /u/wh }\ntargets:\n  t: { host: h }\ngroups:\n  g: &g [t, *g]\n");
    expect(lines.length).toBeGreaterThan(0);
  });
});

describe("loadFleetFile reads a regular file with a size cap", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "zwh-fleet-file-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a file and resolves relative paths against its directory", () => {
    mkdirSync(join(dir, "site"));
    writeFileSync(join(dir, "site", "fleet.yaml"), "defaults: { root: /u/wh, trust: trust.json }\ntargets:\n  a: { host: h }\n");
    const f = loadFleetFile(join(dir, "site", "fleet.yaml"));
    expect(f.path).toBe(join(dir, "site", "fleet.yaml"));
    expect(f.targets[0]!.trust).toBe(join(dir, "site", "trust.json"));
  });

  it("a missing file, a directory, a FIFO and a file over 1 MiB are refused with the input codes", () => {
    const code = (p: string) => {
      try {
        loadFleetFile(p);
      } catch (e) {
        return (e as ZwhError).code;
      }
      return "parsed";
    };
    expect(code(join(dir, "missing.yaml"))).toBe("ZWH-INPUT-IO");
    expect(code(dir)).toBe("ZWH-INPUT-NOT-REGULAR");
    execFileSync("mkfifo", [join(dir, "fifo.yaml")]);
    expect(code(join(dir, "fifo.yaml"))).toBe("ZWH-INPUT-NOT-REGULAR");
    writeFileSync(join(dir, "big.yaml"), "# " + "x".repeat(1024 * 1024) + "\n");
    expect(code(join(dir, "big.yaml"))).toBe("ZWH-INPUT-TOO-LARGE");
  });

  it("an invalid file names its absolute path", () => {
    writeFileSync(join(dir, "bad.yaml"), "targets: {}\n");
    expect(() => loadFleetFile(join(dir, "bad.yaml"))).toThrow(`invalid fleet file ${join(dir, "bad.yaml")}:1:10: targets: no targets`);
  });
});
