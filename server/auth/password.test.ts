import { describe, expect, it } from "vitest";
import { checkPassword, generatePassword, hashPassword, verifyPassword, type ScryptParams } from "./password";

// Cheap parameters where the cost is not what is tested.
const FAST: ScryptParams = { N: 1 << 10, r: 8, p: 1, keylen: 32 };

describe("password hashes", () => {
  it("verifies the right password and refuses a wrong one", async () => {
    const hash = await hashPassword("correct horse", FAST);
    expect(await verifyPassword("correct horse", hash)).toBe(true);
    expect(await verifyPassword("correct horsE", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
  });

  it("records the scrypt parameters and a random salt with every hash", async () => {
    const a = await hashPassword("same password", FAST);
    const b = await hashPassword("same password", FAST);
    expect(a).toMatchObject({ alg: "scrypt", N: 1024, r: 8, p: 1, keylen: 32 });
    expect(Buffer.from(a.salt, "base64")).toHaveLength(16);
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(JSON.stringify(a)).not.toContain("same password");
  });

  it("uses the default cost (N=2^15, r=8, p=3) when none is given, and verifies with the stored one", async () => {
    const hash = await hashPassword("default cost");
    expect(hash).toMatchObject({ N: 32768, r: 8, p: 3, keylen: 32 });
    expect(await verifyPassword("default cost", hash)).toBe(true);
  });

  it("refuses a tampered hash", async () => {
    const hash = await hashPassword("pw12345", FAST);
    const bytes = Buffer.from(hash.hash, "base64");
    bytes[0] = bytes[0]! ^ 1;
    expect(await verifyPassword("pw12345", { ...hash, hash: bytes.toString("base64") })).toBe(false);
    expect(await verifyPassword("pw12345", { ...hash, keylen: 16, hash: bytes.subarray(0, 16).toString("base64") })).toBe(false);
  });

  it("enforces PBS's password length (5 to 64) and generates long random ones", () => {
    expect(() => checkPassword("1234")).toThrow(/too short/);
    expect(() => checkPassword("x".repeat(65))).toThrow(/too long/);
    expect(checkPassword("12345")).toBe("12345");
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generatePassword()).not.toBe(a);
  });
});
