/**
 * The terminal SDK package (packages/terminal-sdk) as a vendor installs it: built with its own
 * tsconfig to JavaScript with type declarations, requiring nothing but its crypto libraries, and
 * reproducing every test vector (test-vectors/*.json) with its own hashing and signing
 * (@noble/hashes and @noble/curves; the vectors were written with ethers).
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { nodeHttpTransport } from "../../src/sdk/http";
import domain from "../../test-vectors/domain.json";
import slips from "../../test-vectors/slips.json";
import settlements from "../../test-vectors/settlements.json";
import refunds from "../../test-vectors/refunds.json";
import redemptions from "../../test-vectors/redemptions.json";

type Sdk = typeof import("../../packages/terminal-sdk/src");

const PACKAGE_DIR = path.join(__dirname, "../../packages/terminal-sdk");
const DIST = path.join(PACKAGE_DIR, "dist");
const bytesHex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");

describe("terminal SDK package", function () {
  this.timeout(120_000);
  let sdk: Sdk;

  before(function () {
    fs.rmSync(DIST, { recursive: true, force: true });
    // `npm run build` in the package: the root's tsc on the package's tsconfig.
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(PACKAGE_DIR, "tsconfig.json")], { stdio: "pipe" });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sdk = require(path.join(DIST, "index.js")) as Sdk;
  });

  describe("the build", function () {
    it("emits JavaScript and type declarations where package.json points", function () {
      const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8")) as { main: string; types: string; dependencies: Record<string, string> };
      expect(fs.existsSync(path.join(PACKAGE_DIR, manifest.main))).to.equal(true);
      expect(fs.readFileSync(path.join(PACKAGE_DIR, manifest.types), "utf8")).to.contain("export * from \"./client\"");
      expect(Object.keys(manifest.dependencies).sort()).to.deep.equal(["@noble/curves", "@noble/hashes"]);
    });

    it("requires nothing but its own modules and its crypto libraries", function () {
      const required = new Set<string>();
      for (const file of fs.readdirSync(DIST).filter((f) => f.endsWith(".js"))) {
        for (const m of fs.readFileSync(path.join(DIST, file), "utf8").matchAll(/require\("([^"]+)"\)/g)) required.add(m[1]);
      }
      const foreign = [...required].filter((m) => !m.startsWith("./") && !m.startsWith("@noble/"));
      expect(foreign).to.deep.equal([]);
    });
  });

  describe("the test vectors", function () {
    const ledger = () => sdk.credenceDomain(BigInt(domain.domain.chainId), domain.domain.verifyingContract);

    it("the domain separator, type strings and type hashes", function () {
      expect(sdk.domainSeparator(ledger())).to.equal(domain.domainSeparator);
      const types = { ...sdk.SETTLEMENT_TYPES, ...sdk.REFUND_TYPES, ...sdk.REDEMPTION_TYPES, ...sdk.ORDER_SLIP_TYPES };
      for (const [name, v] of Object.entries(domain.types)) {
        expect(sdk.typeString(name, types[name]), name).to.equal(v.typeString);
        expect(sdk.keccak256Text(v.typeString), name).to.equal(v.typeHash);
      }
    });

    it("the constants terminals check against", function () {
      expect(sdk.CATEGORY_COUNT).to.equal(16);
      expect(sdk.MAX_AMOUNT).to.equal(10n ** 15n);
      expect(sdk.CARD_STATUSES).to.deep.equal(["none", "active", "frozen", "closed"]);
      expect(sdk.rejectionCode(12)).to.equal("signature.terminal_invalid");
    });

    for (const v of slips) {
      it(`slip ${v.name}: canonical form, slip hash, order ID, settlement fields and the signed slip`, function () {
        expect(sdk.canonicalJson(sdk.canonicalSlip(v.slip))).to.equal(v.canonicalJson);
        expect(sdk.slipHash(v.slip)).to.equal(v.slipHash);
        expect(sdk.orderIdOf(v.slip.orderNumber)).to.equal(v.orderId);
        const record = sdk.extractSettlement(v.slip);
        expect({ ...record, amount: record.amount.toString(), time: record.time.toString() }).to.deep.equal(v.settlementFields);
        expect(bytesHex(sdk.structHash("OrderSlip", sdk.ORDER_SLIP_TYPES.OrderSlip, { slipHash: v.slipHash }))).to.equal(v.orderSlip.structHash);
        const digest = sdk.orderSlipDigest(ledger(), v.slipHash);
        expect(digest).to.equal(v.orderSlip.digest);
        expect(sdk.signDigest(digest, domain.keys.terminal.privateKey)).to.deep.equal(v.orderSlip.request.signature);
      });
    }

    for (const v of settlements) {
      it(`settlement ${v.name}: struct hash, digest, both signatures, and the client's signed request`, async function () {
        const message = v.request.settlement;
        expect(bytesHex(sdk.structHash("Settlement", sdk.SETTLEMENT_TYPES.Settlement, message))).to.equal(v.structHash);
        const digest = sdk.settlementDigest(ledger(), { ...message, nonce: BigInt(message.nonce), amount: BigInt(message.amount), time: BigInt(message.time) });
        expect(digest).to.equal(v.digest);
        expect(sdk.signDigest(digest, domain.keys.terminal.privateKey)).to.deep.equal(v.request.signatures.terminal);
        expect(sdk.signDigest(digest, domain.keys.card.privateKey)).to.deep.equal(v.request.signatures.card);
        expect(sdk.recoverSigner(digest, v.request.signatures.card)).to.equal(domain.keys.card.address);

        const terminal = new sdk.TerminalClient("http://gateway.invalid", domain.keys.terminal, ledger());
        const signed = await terminal.signSettlement(v.request.slip, sdk.privateKeyCardSigner(domain.keys.card), BigInt(message.nonce));
        expect(signed.signatures).to.deep.equal(v.request.signatures);
      });
    }

    for (const v of refunds.refunds) {
      it(`refund ${v.name}: struct hash, digest and the refunding terminal's signature`, function () {
        const r = v.request.refund;
        expect(bytesHex(sdk.structHash("Refund", sdk.REFUND_TYPES.Refund, r))).to.equal(v.structHash);
        const digest = sdk.refundDigest(ledger(), {
          ...r,
          nonce: BigInt(r.nonce),
          settlementNonce: BigInt(r.settlementNonce),
          amount: BigInt(r.amount),
          time: BigInt(r.time),
        });
        expect(digest).to.equal(v.digest);
        expect(sdk.signDigest(digest, domain.keys.otherTerminal.privateKey)).to.deep.equal(v.request.signature);
        expect(sdk.recoverSigner(digest, v.request.signature)).to.equal(domain.keys.otherTerminal.address);
      });
    }

    for (const v of redemptions) {
      it(`redemption ${v.name}: order ID, struct hash, digest and both signatures`, function () {
        const r = v.request.redemption;
        expect(sdk.orderIdOf(v.orderNumber)).to.equal(r.orderId);
        expect(bytesHex(sdk.structHash("Redemption", sdk.REDEMPTION_TYPES.Redemption, r))).to.equal(v.structHash);
        const digest = sdk.redemptionDigest(ledger(), { ...r, nonce: BigInt(r.nonce), points: BigInt(r.points), time: BigInt(r.time) });
        expect(digest).to.equal(v.digest);
        expect(sdk.signDigest(digest, domain.keys.terminal.privateKey)).to.deep.equal(v.request.signatures.terminal);
        expect(sdk.signDigest(digest, domain.keys.card.privateKey)).to.deep.equal(v.request.signatures.card);
      });
    }
  });

  describe("signature checks", function () {
    it("recovers no signer from a malformed signature, and another signer from another digest", function () {
      const v = settlements[0];
      const sig = v.request.signatures.terminal;
      expect(sdk.recoverSigner(v.digest, sig)).to.equal(domain.keys.terminal.address);
      expect(sdk.recoverSigner(v.digest, { r: "0x" + "00".repeat(32), vs: sig.vs })).to.equal(null);
      expect(sdk.recoverSigner(v.digest, { r: sig.r, vs: "0x1234" })).to.equal(null);
      expect(sdk.recoverSigner(settlements[1].digest, sig)).to.not.equal(domain.keys.terminal.address);
    });

    it("refuses a mixed-case address with a wrong checksum", function () {
      const wrong = domain.keys.terminal.address.replace(/[a-f]/, (c) => c.toUpperCase());
      expect(() => sdk.checksumAddress(wrong)).to.throw(sdk.EIP55_MESSAGE);
      expect(sdk.checksumAddress(domain.keys.terminal.address.toLowerCase())).to.equal(domain.keys.terminal.address);
    });
  });

  describe("Retry-After", function () {
    let server: http.Server;
    let url: string;
    /** Requests the flaky paths received, by id. */
    const received = new Map<string, number>();

    before(async function () {
      // Answers /<status>[/<Retry-After, URI-encoded>] with that status and header, as a problem;
      // /flaky/<id>/<n>/<status>[/<Retry-After>] so the first n times of that id, then 202.
      server = http.createServer((req, res) => {
        req.resume();
        const flaky = /^\/flaky\/(\w+)\/(\d+)(\/.*)$/.exec(req.url ?? "");
        if (flaky) {
          const seen = (received.get(flaky[1]) ?? 0) + 1;
          received.set(flaky[1], seen);
          if (seen > Number(flaky[2])) return void res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ id: flaky[1], seen }));
        }
        const [, status, retryAfter] = (flaky ? flaky[3] : (req.url ?? "")).split("/");
        if (!/^\d{3}$/.test(status)) return void res.writeHead(404).end();
        if (retryAfter !== undefined) res.setHeader("retry-after", decodeURIComponent(retryAfter));
        const code = status === "429" ? "session.rate_limited" : "store.unavailable";
        res.writeHead(Number(status), { "content-type": "application/problem+json" }).end(JSON.stringify({ status: Number(status), code, detail: "later" }));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async function () {
      await new Promise((resolve) => server.close(resolve));
    });

    const refusal = (transport: import("../../packages/terminal-sdk/src").Transport, path: string) =>
      sdk.requestJson(transport, url, "POST", path, { nonce: 1n }).then(
        () => expect.fail("the gateway accepted"),
        (err: unknown) => err as InstanceType<Sdk["GatewayError"]>,
      );

    it("reads delay-seconds and HTTP dates, as the ms to wait, and nothing from an absent or unreadable value", function () {
      const now = Date.parse("Mon, 07 Dec 2026 10:00:00 GMT");
      expect(sdk.retryAfterMs("1", now)).to.equal(1_000);
      expect(sdk.retryAfterMs(" 120 ", now)).to.equal(120_000);
      expect(sdk.retryAfterMs("Mon, 07 Dec 2026 10:00:03 GMT", now)).to.equal(3_000);
      expect(sdk.retryAfterMs("Monday, 07-Dec-26 10:00:02 GMT", now)).to.equal(2_000);
      expect(sdk.retryAfterMs("Mon Dec  7 10:00:04 2026", now)).to.equal(4_000);
      expect(sdk.retryAfterMs("Mon, 07 Dec 2026 09:59:00 GMT", now), "a date past").to.equal(0);
      for (const unreadable of [undefined, "", "soon", "-1", "1.5", "Tomorrow"]) expect(sdk.retryAfterMs(unreadable, now), String(unreadable)).to.equal(undefined);
    });

    it("gives a 503's and a 429's Retry-After with the GatewayError, over fetch and over node:http", async function () {
      const unavailable = await refusal(sdk.fetchTransport(), "/503/1");
      expect(unavailable).to.be.instanceOf(sdk.GatewayError);
      expect(unavailable).to.deep.include({ status: 503, code: "store.unavailable", retryAfterMs: 1_000 });
      expect(await refusal(nodeHttpTransport, "/429/2")).to.deep.include({ status: 429, code: "session.rate_limited", retryAfterMs: 2_000 });
      const inFiveSeconds = encodeURIComponent(new Date(Date.now() + 5_000).toUTCString());
      expect((await refusal(sdk.fetchTransport(), `/503/${inFiveSeconds}`)).retryAfterMs).to.be.within(3_000, 5_000);
      expect((await refusal(sdk.fetchTransport(), "/503")).retryAfterMs, "absent").to.equal(undefined);
      expect((await refusal(nodeHttpTransport, "/503/later")).retryAfterMs, "unreadable").to.equal(undefined);
    });

    /** A resending transport over fetch whose waits are recorded, not waited. */
    const resending = (policy: import("../../packages/terminal-sdk/src").ResendPolicy = {}) => {
      const waits: number[] = [];
      const transport = sdk.resendingTransport(sdk.fetchTransport(), { ...policy, sleep: async (ms) => void waits.push(ms) });
      return { transport, waits };
    };

    it("sends the same request again after a 503, waiting as long as its Retry-After says", async function () {
      const { transport, waits } = resending();
      const answer = await sdk.requestJson<{ seen: number }>(transport, url, "POST", "/flaky/a/2/503/1", { nonce: 1n });
      expect(answer.seen).to.equal(3);
      expect(waits).to.deep.equal([1_000, 1_000]);
      const { transport: capped, waits: cappedWaits } = resending({ maxDelayMs: 400 });
      await sdk.requestJson(capped, url, "POST", "/flaky/b/1/429/120", {});
      expect(cappedWaits, "a Retry-After over the cap waits the cap").to.deep.equal([400]);
    });

    it("backs off without a Retry-After, never resends a 4xx, and gives the last answer once the resends are spent", async function () {
      const { transport, waits } = resending({ resends: 2, baseDelayMs: 100 });
      expect((await refusal(transport, "/flaky/c/9/503")).status).to.equal(503);
      expect(received.get("c")).to.equal(3);
      expect(waits).to.have.length(2);
      expect(waits[0]).to.be.within(50, 100);
      expect(waits[1]).to.be.within(100, 200);
      const { transport: once, waits: none } = resending();
      expect((await refusal(once, "/flaky/d/1/409")).status).to.equal(409);
      expect(received.get("d")).to.equal(1);
      expect(none).to.deep.equal([]);
    });

    it("sends again after a network error, and throws the last one once the resends are spent", async function () {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const { transport, waits } = resending({ resends: 2 });
      const error = await transport({ url: `http://127.0.0.1:${port}/`, method: "GET", headers: {} }).then(
        () => expect.fail("a closed port answered"),
        (err: unknown) => err as Error,
      );
      expect(error).to.be.instanceOf(Error);
      expect(waits).to.have.length(2);
    });
  });
});
