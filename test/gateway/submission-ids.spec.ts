import { expect } from "chai";
import { SubmissionIds } from "../../src/api/submissions/public-ids";

describe("SubmissionIds: the submission IDs terminals are given", function () {
  const ids = new SubmissionIds("0x" + "ab".repeat(32));

  it("gives back the row ID of an ID it handed out", function () {
    const id = ids.toPublic("42");
    expect(id).to.match(/^42-[0-9a-f]{32}$/);
    expect(ids.toRow(id)).to.equal("42");
  });

  it("refuses a row ID without its tag, or with the tag of another row", function () {
    expect(ids.toRow("42")).to.equal(undefined);
    const tagOf43 = ids.toPublic("43").split("-")[1];
    expect(ids.toRow(`42-${tagOf43}`)).to.equal(undefined);
  });

  it("refuses a tag altered in one digit", function () {
    const id = ids.toPublic("7");
    const altered = id.slice(0, -1) + (id.endsWith("0") ? "1" : "0");
    expect(ids.toRow(altered)).to.equal(undefined);
  });

  it("refuses the IDs of a gateway with another secret, and agrees with one that shares the secret", function () {
    const id = ids.toPublic("42");
    expect(new SubmissionIds("0x" + "cd".repeat(32)).toRow(id)).to.equal(undefined);
    expect(new SubmissionIds("0x" + "ab".repeat(32)).toRow(id)).to.equal("42");
  });
});
