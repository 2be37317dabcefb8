import { describe, expect, it } from "vitest";

import { profilePath } from "./paths";

describe("profilePath", () => {
  it("takes a plain path as it is, without surrounding blanks", () => {
    expect(profilePath("  /home/alice/Downloads/work.json\n")).toBe(
      "/home/alice/Downloads/work.json",
    );
    expect(profilePath("~/work.json")).toBe("~/work.json");
  });

  it("removes the quotes a shell or file manager copies around a path", () => {
    expect(profilePath("'/home/alice/My Profiles/work.json'")).toBe(
      "/home/alice/My Profiles/work.json",
    );
    expect(profilePath('"/tmp/a b.json"')).toBe("/tmp/a b.json");
  });

  it("turns a local file:// URI into its path", () => {
    expect(profilePath("file:///home/alice/My%20Profiles/work.json")).toBe(
      "/home/alice/My Profiles/work.json",
    );
    expect(profilePath("FILE://localhost/tmp/x.json")).toBe("/tmp/x.json");
  });

  it("refuses nothing, another host's file and a broken URI", () => {
    expect(profilePath("")).toBeNull();
    expect(profilePath("   ")).toBeNull();
    expect(profilePath("''")).toBeNull();
    expect(profilePath("file://server/share/x.json")).toBeNull();
    expect(profilePath("file://host")).toBeNull();
    expect(profilePath("file:///tmp/%E0%A4%A.json")).toBeNull();
  });
});
