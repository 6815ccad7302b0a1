import { expect } from "chai";
import fc from "fast-check";
import { keccak256, toUtf8Bytes } from "ethers";
import { keccak256Bytes, keccak256Hex, keccak256Text, nativeKeccak } from "../../src/domain/keccak";

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

  it("hashes text's UTF-8 bytes as ethers' toUtf8Bytes gives them, outside the BMP included", function () {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        expect(keccak256Text(text)).to.equal(keccak256(toUtf8Bytes(text)));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses text with a lone surrogate, high or low, which has no UTF-8 form", function () {
    for (const text of ["a\uD800", "\uDC00b", "x\uDBFFy"]) {
      expect(() => keccak256Text(text), JSON.stringify(text)).to.throw(TypeError, /lone UTF-16 surrogate/);
    }
    expect(keccak256Text("\uD83D\uDE00")).to.equal(keccak256(toUtf8Bytes("\uD83D\uDE00")));
  });
});
