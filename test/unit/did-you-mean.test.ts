/** "Did you mean": close typos are suggested, unrelated words are not. */
import { describe, expect, it } from "vitest";
import { closestWord, didYouMean, editDistance } from "../../src/core/did-you-mean";

describe("editDistance", () => {
  const table: Array<[string, string, number]> = [
    ["host", "host", 0], ["hsot", "host", 1], ["hots", "host", 1], ["forsk", "forks", 1], ["hos", "host", 1],
    ["hostt", "host", 1], ["kitten", "sitting", 3], ["", "abc", 3], ["abcdef", "a", 4], ["ab", "ba", 1],
  ];
  for (const [a, b, d] of table) it(`${a} → ${b}: ${d}`, () => expect(editDistance(a, b)).toBe(d));
  it("is capped", () => expect(editDistance("aaaaaaaa", "bbbbbbbb", 2)).toBe(3));
});

describe("closestWord", () => {
  const keys = ["profile", "host", "port", "user", "identity", "knownHosts", "hostKey", "root", "python", "trust", "tags"];
  const table: Array<[string, string | undefined]> = [
    ["knownhosts", "knownHosts"], ["KNOWNHOSTS", "knownHosts"], ["hsot", "host"], ["prot", "port"], ["idenity", "identity"],
    ["pyhton", "python"], ["tag", "tags"], ["hostkeys", "hostKey"], ["xyz", undefined], ["z", undefined], ["ab", undefined],
    ["completely", undefined], ["pro", "profile"],
  ];
  for (const [w, k] of table) it(`${w} → ${k ?? "(none)"}`, () => expect(closestWord(w, keys)).toBe(k));
  it("didYouMean phrases it", () => {
    expect(didYouMean("forsk", ["forks", "order"])).toBe(" (did you mean 'forks'?)");
    expect(didYouMean("zzzz", ["forks"])).toBe("");
  });
});
