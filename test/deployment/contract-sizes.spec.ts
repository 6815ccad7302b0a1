/**
 * Every contract the deployment puts on chain stays under EIP-170's limit on runtime code
 * (24,576 bytes), which Besu and anvil enforce: a contract above it cannot be deployed at all.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { getBytes } from "ethers";
import { deploySuite } from "../helpers/suite";

const EIP170_MAX_CODE_BYTES = 24_576;

describe("contract sizes", function () {
  it("keeps the runtime code of every deployed contract under 24,576 bytes", async function () {
    const { operators, registry, ledger, creditScores, creditGrants } = await loadFixture(deploySuite);
    for (const [name, contract] of Object.entries({ operators, registry, ledger, creditScores, creditGrants })) {
      const size = getBytes(await ethers.provider.getCode(await contract.getAddress())).length;
      expect(size, `${name}: ${size} bytes`).to.be.greaterThan(0).and.at.most(EIP170_MAX_CODE_BYTES);
    }
  });
});
