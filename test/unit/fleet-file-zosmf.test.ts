/** Fleet file targets reached over z/OSMF (transport: zosmf): the accepted form and a located error per mistake. */
import { describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { parseFleetFile } from "../../src/fleet/fleet-file";
import { resolveFleetHost } from "../../src/fleet/targets";

const parse = (text: string) => parseFleetFile(text, "/site/fleet.yaml", { home: "/home/op" });

function problems(text: string): string[] {
  try {
    parse(text);
  } catch (e) {
    expect((e as ZwhError).code).toBe("ZWH-FLEET-INVALID");
    return ((e as ZwhError).details?.problems as Array<{ line: number; key: string; message: string }>).map((p) => `${p.line} ${p.key}: ${p.message}`);
  }
  throw new Error("expected the fleet file to be refused");
}

const HEAD = "defaults: { root: /u/wh, user: SSHUSER, port: 2222, trust: trust.json }\ntargets:\n  ssh1: { host: h1 }\n";

describe("transport: zosmf targets", () => {
  it("take zosmfHost/Port/User/PasswordEnv/CaFile or a zosmf profile, and only the install defaults", () => {
    const f = parse(HEAD +
      "  z1: { transport: zosmf, zosmfHost: zosmf1.example.com, zosmfPort: 10443, zosmfUser: IBMUSER, zosmfPasswordEnv: ZOSMF_PW, zosmfCaFile: ca/site.pem }\n" +
      "  z2: { transport: zosmf, zosmfProfile: lpar2_zosmf, root: /u/other }\n");
    const [ssh1, z1, z2] = f.targets;
    expect(ssh1).toMatchObject({ host: "h1", user: "SSHUSER", port: 2222 });
    expect(z1).toEqual({
      name: "z1", transport: "zosmf", zosmfHost: "zosmf1.example.com", zosmfPort: 10443, zosmfUser: "IBMUSER", zosmfPasswordEnv: "ZOSMF_PW",
      zosmfCaFile: "/site/ca/site.pem", root: "/u/wh", trust: "/site/trust.json", tags: [], line: 4,
    });
    expect(z2).toMatchObject({ transport: "zosmf", zosmfProfile: "lpar2_zosmf", root: "/u/other" });
    expect(z2).not.toHaveProperty("user");
  });

  it("are refused, located, without a z/OSMF address, with SSH settings, with a bad value, or zosmf keys without transport: zosmf", () => {
    expect(problems(HEAD + "  z: { transport: zosmf }\n")).toEqual([expect.stringMatching(/^4 targets\.z: is a transport: zosmf target without zosmfHost: or zosmfProfile:/)]);
    expect(problems(HEAD + "  z: { transport: zosmf, zosmfHost: zh, host: h2, identity: ~/.ssh/id }\n")).toEqual([
      expect.stringMatching(/^4 targets\.z\.host: is an SSH setting/), expect.stringMatching(/^4 targets\.z\.identity: is an SSH setting/),
    ]);
    expect(problems(HEAD + "  z: { transport: zosmf, zosmfHost: zh, zosmfPasswordEnv: 'not a name', zosmfPort: 70000 }\n")).toEqual(expect.arrayContaining([
      expect.stringMatching(/targets\.z\.zosmfPasswordEnv: 'not a name' is not an environment variable name/), expect.stringMatching(/targets\.z\.zosmfPort/),
    ]));
    expect(problems(HEAD + "  z: { transport: rest, host: h2 }\n")).toEqual([expect.stringMatching(/targets\.z\.transport: must be ssh or zosmf, not 'rest'/)]);
    expect(problems(HEAD + "  z: { host: h2, zosmfHost: zh }\n")).toEqual([expect.stringMatching(/targets\.z\.zosmfHost: applies only to a z\/OSMF target; add transport: zosmf/)]);
  });

  it("resolve to a z/OSMF TargetSpec (password from the named variable, never from the file)", async () => {
    const f = parse(HEAD + "  z1: { transport: zosmf, zosmfHost: zh.example.com, zosmfPort: 10443, zosmfUser: IBMUSER, zosmfPasswordEnv: ZOSMF_PW, zosmfCaFile: ca.pem }\n");
    const h = await resolveFleetHost(f.targets[1]!, { baseDir: "/site", env: { ZOSMF_PW: "s3cret" }, defaultTrust: "/t.json" });
    expect(h.spec).toMatchObject({ transport: "zosmf", host: "zh.example.com", port: 10443, user: "IBMUSER", name: "z1", zosmf: { host: "zh.example.com", port: 10443, user: "IBMUSER", password: "s3cret", caFile: "/site/ca.pem" } });
    await expect(resolveFleetHost(f.targets[1]!, { baseDir: "/site", env: {}, defaultTrust: "/t.json" })).rejects.toMatchObject({ message: expect.stringMatching(/^fleet target z1 \(line 4\): .*ZOSMF_PW/) });
  });
});
