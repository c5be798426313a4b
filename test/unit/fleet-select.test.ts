/** --limit, retry files, --shard and shared-file-system roles. */
import { describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import {
  MAX_SHARDS, fleetNames, limitFileRefs, parseRetryFile, parseShard, selectHosts, shardHosts, shardOf, sharedGroupsFor, type FleetNames,
} from "../../src/core/fleet-select";
import type { FleetTarget } from "../../src/core/fleet-types";

const NAMES: FleetNames = {
  hosts: ["lpar1", "lpar2", "lpar3", "lpar10", "test1", "sys:a"],
  groups: { canary: ["lpar1"], plex1: ["lpar2", "lpar3"], plex2: ["lpar10", "test1"], prod: ["lpar2", "lpar3", "lpar10"] },
};

function errorOf(f: () => unknown): ZwhError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ZwhError);
    return e as ZwhError;
  }
  throw new Error("expected an error");
}

describe("selectHosts", () => {
  // [limit, selected hosts (always in inventory order)]
  const table: Array<[string | undefined, string[]]> = [
    [undefined, NAMES.hosts as string[]],
    ["all", NAMES.hosts as string[]],
    ["*", NAMES.hosts as string[]],
    ["lpar3", ["lpar3"]],
    ["lpar3,lpar1", ["lpar1", "lpar3"]],
    [" lpar3 , lpar1 ", ["lpar1", "lpar3"]],
    ["plex1", ["lpar2", "lpar3"]],
    ["plex1,canary", ["lpar1", "lpar2", "lpar3"]],
    ["lpar*", ["lpar1", "lpar2", "lpar3", "lpar10"]],
    ["lpar?", ["lpar1", "lpar2", "lpar3"]],
    ["lpar[13]", ["lpar1", "lpar3"]],
    ["lpar[1-2]", ["lpar1", "lpar2"]],
    ["lpar[!1]", ["lpar2", "lpar3"]],
    ["plex*", ["lpar2", "lpar3", "lpar10", "test1"]], // a glob matches group names too
    ["*1", ["lpar1", "lpar2", "lpar3", "test1"]], // hosts, and the members of the group plex1
    ["!lpar1", ["lpar2", "lpar3", "lpar10", "test1", "sys:a"]], // only exclusions: from all hosts
    ["lpar*,!lpar10", ["lpar1", "lpar2", "lpar3"]],
    ["prod,&plex1", ["lpar2", "lpar3"]],
    ["&prod", ["lpar2", "lpar3", "lpar10"]],
    ["prod,&plex*,!lpar3", ["lpar2", "lpar10"]],
    ["!lpar3,prod", ["lpar2", "lpar10"]], // exclusions apply after unions whatever the order
    ["sys:a", ["sys:a"]], // a colon is part of a name, not a separator
    ["lpar1,lpar1", ["lpar1"]],
  ];
  for (const [limit, hosts] of table) {
    it(`${limit === undefined ? "(no --limit)" : `'${limit}'`} → ${hosts.join(",")}`, () => expect(selectHosts(NAMES, limit)).toEqual(hosts));
  }

  it("@FILE: the hosts listed in a retry file, with ! and & too", () => {
    const files = { "last.hosts": "# run 1\nlpar3  # failed ZWH-X why\n\nlpar1 # unreachable ZWH-SSH-CONNECT refused\n", "ex.hosts": "lpar1\n" };
    expect(limitFileRefs("@last.hosts,plex2,!@ex.hosts,@last.hosts")).toEqual(["last.hosts", "ex.hosts"]);
    expect(selectHosts(NAMES, "@last.hosts", files)).toEqual(["lpar1", "lpar3"]);
    expect(selectHosts(NAMES, "@last.hosts,plex2,!@ex.hosts", files)).toEqual(["lpar3", "lpar10", "test1"]);
    // An @FILE acts as one set: &@FILE intersects with all its hosts, not with each in turn.
    expect(selectHosts(NAMES, "plex1,&@last.hosts", files)).toEqual(["lpar3"]);
    expect(selectHosts(NAMES, "all,&@last.hosts", files)).toEqual(["lpar1", "lpar3"]);
  });

  it("a pattern that matches nothing is an error naming it, with a suggestion and the known names", () => {
    const e = errorOf(() => selectHosts(NAMES, "lpar1,lpar4"));
    expect(e.code).toBe("ZWH-FLEET-LIMIT-NOMATCH");
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe("--limit pattern 'lpar4' (did you mean 'lpar1'?) matches no host or group");
    expect(e.hint).toContain("Known hosts: lpar1, lpar2, lpar3, lpar10, test1, sys:a. Groups: canary, plex1, plex2, prod.");
    expect(e.hint).toContain("!pattern to exclude, &pattern to intersect and @FILE");
    expect(e.details).toEqual({ unmatched: ["lpar4"] });
  });

  it("every unmatched pattern is named, exclusions and globs included", () => {
    const e = errorOf(() => selectHosts(NAMES, "plex3,!lpar9,web*,&zz"));
    expect(e.message).toBe("--limit patterns 'plex3' (did you mean 'plex1'?), '!lpar9' (did you mean 'lpar1'?), 'web*', '&zz' match no host or group");
    expect(e.details).toEqual({ unmatched: ["plex3", "!lpar9", "web*", "&zz"] });
  });

  it("a host of a retry file that is no longer in the fleet is named with its file", () => {
    const e = errorOf(() => selectHosts(NAMES, "@r.hosts", { "r.hosts": "lpar1\ngone\n" }));
    expect(e.code).toBe("ZWH-FLEET-LIMIT-NOMATCH");
    expect(e.message).toContain("'gone (in @r.hosts)'");
  });

  it("an empty retry file is an error, not an empty run", () => {
    const e = errorOf(() => selectHosts(NAMES, "@r.hosts", { "r.hosts": "# nothing failed\n\n" }));
    expect(e.code).toBe("ZWH-FLEET-LIMIT-NOMATCH");
    expect(e.message).toBe("--limit @r.hosts lists no host");
  });

  it("patterns that each match but together leave nothing are an error", () => {
    for (const limit of ["lpar1,!canary", "plex1,&plex2", "!all"]) {
      const e = errorOf(() => selectHosts(NAMES, limit));
      expect(e.code).toBe("ZWH-FLEET-LIMIT-NOMATCH");
      expect(e.message).toBe(`--limit '${limit}' selects no host: its patterns exclude or intersect away every host they name`);
    }
  });

  it("empty patterns are usage errors", () => {
    for (const limit of ["", "lpar1,", ",lpar1", "lpar1,,lpar2", "!", "&", "@", "! "]) {
      const e = errorOf(() => selectHosts(NAMES, limit));
      expect(e.code, limit).toBe("ZWH-USAGE");
      expect(e.message).toContain("has an empty pattern");
    }
    expect(errorOf(() => selectHosts(NAMES, "x".repeat(257))).code).toBe("ZWH-USAGE");
  });

  it("the known names in the hint are bounded", () => {
    const many: FleetNames = { hosts: Array.from({ length: 200 }, (_, i) => `h${i}`), groups: {} };
    const e = errorOf(() => selectHosts(many, "nope"));
    expect(e.hint).toContain("h19, … (200 in all). Groups: (none).");
    expect(e.hint).not.toContain("h20,");
  });

  it("a glob is matched in linear time (no backtracking blow-up)", () => {
    const long: FleetNames = { hosts: ["a".repeat(128)], groups: {} };
    const e = errorOf(() => selectHosts(long, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"));
    expect(e.code).toBe("ZWH-FLEET-LIMIT-NOMATCH");
    expect(selectHosts(long, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a")).toEqual(long.hosts);
  });

  it("an unclosed [ is a plain character", () => {
    expect(selectHosts({ hosts: ["a[1", "a1"], groups: {} }, "a[1")).toEqual(["a[1"]);
  });

  it("fleetNames takes the targets in file order and the groups", () => {
    const t = (name: string): FleetTarget => ({ name, root: "/r", tags: [], line: 1 });
    expect(fleetNames({ targets: [t("b"), t("a")], groups: { g: ["a"] } })).toEqual({ hosts: ["b", "a"], groups: { g: ["a"] } });
  });
});

describe("parseRetryFile", () => {
  it("one host per line; # comments, blank lines and CRLF are ignored", () => {
    expect(parseRetryFile("# header\r\nlpar1  # failed ZWH-X reason # with a hash\r\n\r\n   lpar2\n#lpar3\n")).toEqual(["lpar1", "lpar2"]);
    expect(parseRetryFile("")).toEqual([]);
  });
});

describe("--shard K/N", () => {
  it("parses strictly", () => {
    expect(parseShard("1/2")).toEqual({ k: 1, n: 2 });
    expect(parseShard("7/7")).toEqual({ k: 7, n: 7 });
    expect(parseShard(`1/${MAX_SHARDS}`)).toEqual({ k: 1, n: 1000 });
    for (const bad of ["0/2", "3/2", "1/0", "1/1001", "01/2", "1/02", "1 /2", "1/2 ", "1\\2", "1", "/2", "1/", "a/b", "1.0/2", "1e0/2", "-1/2", "+1/2", "1/2/3", ""]) {
      const e = errorOf(() => parseShard(bad));
      expect(e.code, bad).toBe("ZWH-USAGE");
      expect(e.message).toContain(`--shard '${bad}'`);
    }
  });

  const fleet = Array.from({ length: 200 }, (_, i) => `lpar${i + 1}`);

  for (const n of [1, 2, 3, 7, 16]) {
    it(`the ${n} shards of 200 hosts are disjoint and cover the fleet`, () => {
      const shards = Array.from({ length: n }, (_, i) => shardHosts(fleet, i + 1, n));
      const all = shards.flat();
      expect(all.length).toBe(fleet.length);
      expect(new Set(all).size).toBe(fleet.length);
      // Each shard keeps the given order.
      for (const s of shards) expect(s).toEqual(fleet.filter((h) => s.includes(h)));
      // No shard is empty or holds nearly everything for a fleet this size.
      if (n > 1) for (const s of shards) expect(s.length).toBeGreaterThan(200 / n / 3);
    });
  }

  it("adding or removing a host moves no other host", () => {
    const before = new Map(fleet.map((h) => [h, shardOf(h, 4)]));
    const grown = [...fleet, "newlpar"];
    for (let k = 1; k <= 4; k++) {
      expect(shardHosts(grown, k, 4).filter((h) => h !== "newlpar")).toEqual(fleet.filter((h) => before.get(h) === k));
      expect(shardHosts(fleet.slice(1), k, 4)).toEqual(fleet.slice(1).filter((h) => before.get(h) === k));
    }
  });

  it("is the documented function: sha256 of the name, first 6 bytes, mod N, plus 1", () => {
    // Regression values (a change here would move hosts between controllers mid-migration).
    expect([shardOf("lpar1", 2), shardOf("lpar2", 2), shardOf("lpar1", 7), shardOf("sys:a", 1000)]).toEqual(SHARD_REGRESSION);
    expect(shardOf("anything", 1)).toBe(1);
  });

  it("a bad K/N given directly is a RangeError", () => {
    expect(() => shardHosts(fleet, 0, 2)).toThrow(RangeError);
    expect(() => shardHosts(fleet, 3, 2)).toThrow(RangeError);
  });
});

// Computed independently with Python: int.from_bytes(sha256(name).digest()[:6], "big") % n + 1.
const SHARD_REGRESSION = [2, 1, 7, 441];

describe("sharedGroupsFor", () => {
  const fleet = { sharedFilesystems: { plexfs: ["lpar2", "lpar3", "lpar4"], devfs: ["lpar7", "lpar8"], solo: ["lpar9"] } };

  it("the first member in rollout order installs; the others in the run verify", () => {
    expect(sharedGroupsFor(fleet, ["lpar1", "lpar3", "lpar7", "lpar2", "lpar8", "lpar4"])).toEqual([
      { group: "plexfs", installer: "lpar3", verifiers: ["lpar2", "lpar4"] },
      { group: "devfs", installer: "lpar7", verifiers: ["lpar8"] },
    ]);
  });

  it("members outside the run are left out; a group with one member in the run has no verifier", () => {
    expect(sharedGroupsFor(fleet, ["lpar8", "lpar4", "lpar9"])).toEqual([
      { group: "devfs", installer: "lpar8", verifiers: [] },
      { group: "plexfs", installer: "lpar4", verifiers: [] },
      { group: "solo", installer: "lpar9", verifiers: [] },
    ]);
    expect(sharedGroupsFor(fleet, ["lpar1"])).toEqual([]);
  });
});

describe("readLimitFiles (the @FILE parts, read as input files)", () => {
  it("reads each @FILE once; a missing file or a FIFO is refused", async () => {
    const { readLimitFiles } = await import("../../src/fleet/limit-files");
    const fs = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const { execFileSync } = await import("node:child_process");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-limit-"));
    try {
      const retry = path.join(dir, "last.hosts");
      fs.writeFileSync(retry, "lpar3  # failed ZWH-X why\n");
      expect(readLimitFiles(undefined)).toEqual({});
      expect(readLimitFiles("plex1")).toEqual({});
      const files = readLimitFiles(`@${retry},!@${retry}`);
      expect(files).toEqual({ [retry]: "lpar3  # failed ZWH-X why\n" });
      expect(selectHosts(NAMES, `@${retry}`, files)).toEqual(["lpar3"]);
      expect(() => readLimitFiles(`@${path.join(dir, "nope")}`)).toThrow(/cannot read --limit file/);
      execFileSync("mkfifo", [path.join(dir, "fifo")]);
      expect(errorOf(() => readLimitFiles(`lpar1,@${path.join(dir, "fifo")}`)).code).toBe("ZWH-INPUT-NOT-REGULAR");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
