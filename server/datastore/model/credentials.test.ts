import { describe, expect, it } from "vitest";
import { newPasswordSchema, passwordProblem, tokenNameProblem, userIdSchema, userNameProblem } from "./credentials";

describe("credential rules say what is allowed", () => {
  it("passwords: 5 to 64 characters", () => {
    expect(passwordProblem("abcd")).toBe("Password too short: use 5 to 64 characters.");
    expect(passwordProblem("a".repeat(65))).toBe("Password too long: use 5 to 64 characters.");
    expect(passwordProblem("abcde")).toBeUndefined();
    expect(passwordProblem("a".repeat(64))).toBeUndefined();
    expect(newPasswordSchema.safeParse("abc").error?.issues[0]?.message).toBe("too short: use 5 to 64 characters");
  });

  it("user names: no spaces, none of : / @ !, at most 64", () => {
    for (const bad of ["has space", "a:b", "a/b", "a@b", "a!b", "a".repeat(65), "tab\there"]) {
      expect(userNameProblem(bad), bad).toBe("User name: 1 to 64 characters, no spaces and none of : / @ !.");
    }
    expect(userNameProblem("")).toBe("Enter a user name.");
    expect(userNameProblem("alice.o-k_1")).toBeUndefined();
    expect(userIdSchema.safeParse("a".repeat(129)).error?.issues[0]?.message).toMatch(/^at most 128 characters in all/);
  });

  it("token names: SAFE_ID, at most 64", () => {
    expect(tokenNameProblem("-bad")).toMatch(/^Token name: 1 to 64 characters: letters, digits/);
    expect(tokenNameProblem("a".repeat(65))).toMatch(/^Token name:/);
    expect(tokenNameProblem("")).toBe("Enter a token name.");
    expect(tokenNameProblem("backup-script.v2")).toBeUndefined();
  });
});
