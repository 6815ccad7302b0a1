import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { partOf, profileParts, readProfiles, selfTimes } from "../../scripts/lib/bench/profile";

/** A profile of three frames sampled in turn, `deltaUs` apart, from `startTime`. */
function profile(startTime: number, deltaUs: number, samples: number[]) {
  return {
    startTime,
    nodes: [
      { id: 1, callFrame: { functionName: "(idle)", url: "" } },
      { id: 2, callFrame: { functionName: "query", url: "file:///app/node_modules/@electric-sql/pglite/dist/index.js" } },
      { id: 3, callFrame: { functionName: "recover", url: "file:///app/node_modules/@noble/curves/esm/abstract/weierstrass.js" } },
      { id: 4, callFrame: { functionName: "(garbage collector)", url: "" } },
    ],
    samples,
    timeDeltas: samples.map(() => deltaUs),
  };
}

describe("gateway CPU profile by part", function () {
  it("names the part of a frame by its module, and the engine's own frames by name", function () {
    expect(partOf("file:///app/node_modules/express/lib/router/index.js", "handle")).to.equal("HTTP framework (express and its parts)");
    expect(partOf("file:///app/node_modules/ajv/dist/compile/index.js", "validate")).to.equal("validation (ajv, zod)");
    expect(partOf("file:///app/src/worker/submitter.ts", "tick")).to.equal("gateway: submitter (src/worker)");
    expect(partOf("node:_http_server", "onParserExecute")).to.equal("node: HTTP and sockets");
    expect(partOf("", "(garbage collector)")).to.equal("GC");
    expect(partOf("", "stringify")).to.equal("JSON");
    expect(partOf("", "postMessage")).to.equal("thread messages (postMessage)");
    expect(partOf("", "fsync")).to.equal("system calls (socket writes, PGlite's files)");
    expect(partOf("wasm://wasm/022aac12", "wasm-function[13379]")).to.equal("SQL: PGlite (WASM PostgreSQL)");
    expect(partOf("file:///app/node_modules/secp256k1/lib/index.js", "ecdsaRecover")).to.equal("signatures (libsecp256k1)");
  });

  it("sums self time by part, only of the samples within the windows given", function () {
    const p = profile(1_000, 1_000, [2, 2, 3, 4, 1, 2]); // samples at 2, 3, 4, 5, 6, 7 ms
    expect(Object.fromEntries(selfTimes(p))).to.deep.equal({ "SQL: PGlite (WASM PostgreSQL)": 3, "elliptic curves in JavaScript (noble)": 1, GC: 1, idle: 1 });
    expect(Object.fromEntries(selfTimes(p, [{ fromUs: 3_500, toUs: 5_000 }]))).to.deep.equal({ "elliptic curves in JavaScript (noble)": 1, GC: 1 });
  });

  it("reads every thread's file and gives each part's busy ms per settlement, idle left out", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-profile-"));
    try {
      fs.writeFileSync(path.join(dir, "CPU.1.0.cpuprofile"), JSON.stringify(profile(0, 2_000, [2, 2, 1, 1])));
      fs.writeFileSync(path.join(dir, "CPU.1.1.cpuprofile"), JSON.stringify(profile(0, 1_000, [3, 3, 3, 4])));
      fs.writeFileSync(path.join(dir, "notes.txt"), "not a profile");
      const threads = readProfiles(dir);
      expect(threads.map((t) => t.busyMs)).to.deep.equal([4, 4]);
      expect(profileParts(threads, 4)).to.deep.equal({ "SQL: PGlite (WASM PostgreSQL)": 1, "elliptic curves in JavaScript (noble)": 0.75, GC: 0.25 });
      expect(() => profileParts(threads, 0)).to.throw("no settlements");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
