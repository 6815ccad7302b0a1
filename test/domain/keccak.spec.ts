import { expect } from "chai";
import fc from "fast-check";
import { keccak256 } from "ethers";
import { keccak256Bytes, keccak256Hex, nativeKeccak } from "../../src/domain/keccak";

describe("keccak256 (native where the add-on loads)", function () {
  it("loads the native add-on where the keccak package ships a prebuild", function () {
    const prebuilt = ["linux-x64", "darwin-x64", "win32-x64"].includes(`${process.platform}-${process.arch}`);
    if (!prebuilt) this.skip();
    expect(nativeKeccak).to.equal(true);
  });

  it("hashes like ethers for inputs from empty to several sponge blocks", function () {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (bytes) => {
        expect(keccak256Hex(bytes)).to.equal(keccak256(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("hashes a view into a larger buffer by its own bytes only", function () {
    const whole = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 10, 50);
    expect(keccak256Bytes(view).toString("hex")).to.equal(keccak256(whole.subarray(10, 60)).slice(2));
  });
});
