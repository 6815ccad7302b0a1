/**
 * Password hashing (argon2id), used by the portal's consumer and merchant accounts; operators
 * sign in with passkeys (operator-passkeys.spec.ts).
 */
import { expect } from "chai";
import { hashPassword, verifyPassword } from "../../src/auth";

describe("hashPassword / verifyPassword", () => {
  it("accepts the password and nothing else, with a salted argon2id hash", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash).to.match(/^\$argon2id\$/);
    expect(await hashPassword("correct horse")).not.to.equal(hash);
    expect(await verifyPassword(hash, "correct horse")).to.equal(true);
    expect(await verifyPassword(hash, "correct horsE")).to.equal(false);
    expect(await verifyPassword("not-a-hash", "correct horse")).to.equal(false);
  });
});
