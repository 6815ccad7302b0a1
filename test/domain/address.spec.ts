import { expect } from "chai";
import { getAddress, isAddress as ethersIsAddress, Wallet } from "ethers";
import { isAddress } from "../../src/domain/address";
import { address } from "../../src/api/schemas";

describe("address checks of the request schemas", function () {
  const checksummed = getAddress(Wallet.createRandom().address);
  const body = checksummed.slice(2);
  const flipped = (() => {
    const i = body.search(/[a-fA-F]/);
    const c = body[i];
    return `0x${body.slice(0, i)}${c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()}${body.slice(i + 1)}`;
  })();

  it("accepts what ethers' isAddress accepts and refuses what it refuses, 0x prefix required", function () {
    for (const candidate of [checksummed, checksummed.toLowerCase(), `0x${body.toUpperCase()}`, flipped, "0x1234", "0x" + "zz".repeat(20), checksummed.slice(2)]) {
      expect(isAddress(candidate), candidate).to.equal(candidate.startsWith("0x") && ethersIsAddress(candidate));
      expect(address.safeParse(candidate).success, `schema: ${candidate}`).to.equal(candidate.startsWith("0x") && ethersIsAddress(candidate));
    }
  });

  it("refuses a mixed-case address whose case is not its EIP-55 checksum, asked again or not", function () {
    expect(isAddress(flipped)).to.equal(false);
    expect(isAddress(flipped)).to.equal(false);
    expect(isAddress(checksummed)).to.equal(true);
    expect(isAddress(checksummed)).to.equal(true);
  });
});
