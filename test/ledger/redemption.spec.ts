import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { id, type Wallet } from "ethers";
import { ROLES } from "../../src/chain/roles";
import { redemptionDigest } from "../../src/domain/typed-data";
import { cardIdFor, keyFor, latestTime, proposeAndGetId } from "../helpers/suite";
import {
  LIMITS,
  Rejection,
  deployLedgerFixture,
  domainOf,
  highS,
  redemptionMessage,
  settleRecorded,
  signItem,
  signRedemption,
  submitRedemption,
  type Consumer,
  type SignedRedemption,
} from "../helpers/ledger-ops";
import { dual, acting } from "../helpers/dual-control";

const { SIGNATURE_TTL, MAX_AMOUNT } = LIMITS;

/** Consumer 0 holds 1 357 points: 1 234 earned at the cafe and 123 at the shop. */
async function earnedPointsFixture() {
  const f = await deployLedgerFixture();
  const now = await latestTime();
  await settleRecorded(f, [
    await signItem(f.ledger, f.cafe.terminals[0], f.consumers[0], { nonce: 1n, time: now }),
    await signItem(f.ledger, f.shop.terminals[0], f.consumers[0], { nonce: 1n, time: now }),
  ]);
  return f;
}

type Fixture = Awaited<ReturnType<typeof earnedPointsFixture>>;

/** A redemption of `points` by `consumer` at `terminal` (shop terminal-1 by default), signed by both. */
async function redemption(
  f: Fixture,
  points: bigint,
  opts: {
    consumer?: Consumer;
    terminal?: Wallet;
    nonce?: bigint;
    time?: bigint;
    terminalKey?: Wallet;
    cardKey?: Wallet;
  } = {},
) {
  const consumer = opts.consumer ?? f.consumers[0];
  const terminal = opts.terminal ?? f.shop.terminals[0];
  const message = redemptionMessage({
    cardId: consumer.cardId,
    terminal: terminal.address,
    nonce: opts.nonce ?? 100n,
    points,
    time: opts.time ?? (await latestTime()),
  });
  return signRedemption(f.ledger, message, opts.terminalKey ?? terminal, opts.cardKey ?? consumer.key);
}

describe("PointsLedger: redemption", function () {
  it("redemptionDigest equals the TypeScript EIP-712 digest", async function () {
    const { ledger, consumers, shop } = await loadFixture(earnedPointsFixture);
    const message = redemptionMessage({
      cardId: consumers[0].cardId,
      terminal: shop.terminals[0].address,
      nonce: 3n,
      points: 10n,
      time: 1_700_000_000n,
    });
    expect(await ledger.redemptionDigest(message)).to.equal(redemptionDigest(await domainOf(ledger), message));
  });

  describe("when the redemption is valid", function () {
    it("spends the points from the account and counts them for the redeeming merchant", async function () {
      const f = await loadFixture(earnedPointsFixture);
      const { ledger, gateway, consumers, shop, cafe } = f;
      await (await submitRedemption(gateway, await redemption(f, 500n))).wait();
      expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(857n);
      const stats = await ledger.accountStats(consumers[0].cardId);
      expect([stats.earned, stats.reversed, stats.redeemed]).to.deep.equal([1357n, 0n, 500n]);
      expect((await ledger.merchantStats(shop.id)).pointsRedeemed).to.equal(500n);
      expect((await ledger.merchantStats(cafe.id)).pointsRedeemed).to.equal(0n);
      expect(await ledger.totals()).to.deep.equal([1357n, 0n, 500n]);
    });

    it("leaves the holdings and the points granted untouched", async function () {
      const f = await loadFixture(earnedPointsFixture);
      const { ledger, gateway, consumers, shop } = f;
      await (await submitRedemption(gateway, await redemption(f, 500n))).wait();
      const h = await ledger.holding(consumers[0].cardId, shop.id);
      expect([h.earned, h.reversed]).to.deep.equal([123n, 0n]);
      expect((await ledger.merchantStats(shop.id)).pointsGranted).to.equal(123n);
    });

    it("emits PointsRedeemed with the redeeming merchant, order, terminal and nonce", async function () {
      const f = await loadFixture(earnedPointsFixture);
      const { ledger, gateway, consumers, cafe } = f;
      const r = await redemption(f, 700n, { terminal: cafe.terminals[0], nonce: 7n });
      await expect(submitRedemption(gateway, r))
        .to.emit(ledger, "PointsRedeemed")
        .withArgs(consumers[0].cardId, cafe.id, r.redemption.orderId, cafe.terminals[0].address, 7n, 700n);
    });

    it("spends the whole balance down to zero", async function () {
      const f = await loadFixture(earnedPointsFixture);
      await (await submitRedemption(f.gateway, await redemption(f, 1357n))).wait();
      expect(await f.ledger.balanceOf(f.consumers[0].cardId)).to.equal(0n);
    });

    it("spends the shared balance from a replacement card", async function () {
      const f = await loadFixture(earnedPointsFixture);
      const { ledger, registry, accounts, gateway, consumers } = f;
      const replacement = { cardId: cardIdFor("consumer-0-new"), key: keyFor("consumer-0-new") };
      const action = registry.interface.encodeFunctionData("replaceCard", [
        consumers[0].cardId,
        replacement.cardId,
        replacement.key.address,
      ]);
      await (
        await dual(registry, accounts.creditCenter).approve(await proposeAndGetId(registry, accounts.bank, action), action)
      ).wait();
      await (await submitRedemption(gateway, await redemption(f, 357n, { consumer: replacement }))).wait();
      expect(await ledger.balanceOf(replacement.cardId)).to.equal(1000n);
      expect(await ledger.balanceOf(consumers[0].cardId)).to.equal(1000n);
    });

    it("consumes the terminal's nonce, shared with its settlements", async function () {
      const f = await loadFixture(earnedPointsFixture);
      const { ledger, gateway, shop } = f;
      const r = await redemption(f, 10n, { nonce: 100n });
      await (await submitRedemption(gateway, r)).wait();
      expect(await ledger.nonceUsed(shop.terminals[0].address, 100n)).to.equal(true);
      await expect(submitRedemption(gateway, r))
        .to.be.revertedWithCustomError(ledger, "LedgerRedemptionRejected")
        .withArgs(Rejection.NonceUsed);
      await expect(submitRedemption(gateway, await redemption(f, 10n, { nonce: 1n })))
        .to.be.revertedWithCustomError(ledger, "LedgerRedemptionRejected")
        .withArgs(Rejection.NonceUsed);
    });
  });

  describe("when the balance does not cover the points", function () {
    it("reverts with LedgerInsufficientPoints(cardId, balance, needed)", async function () {
      const f = await loadFixture(earnedPointsFixture);
      await expect(submitRedemption(f.gateway, await redemption(f, 1358n)))
        .to.be.revertedWithCustomError(f.ledger, "LedgerInsufficientPoints")
        .withArgs(f.consumers[0].cardId, 1357n, 1358n);
    });

    it("reverts a redemption on a card that never earned points", async function () {
      const f = await loadFixture(earnedPointsFixture);
      await expect(submitRedemption(f.gateway, await redemption(f, 1n, { consumer: f.consumers[3] })))
        .to.be.revertedWithCustomError(f.ledger, "LedgerInsufficientPoints")
        .withArgs(f.consumers[3].cardId, 0n, 1n);
    });

    it("leaves the nonce unused", async function () {
      const f = await loadFixture(earnedPointsFixture);
      await expect(submitRedemption(f.gateway, await redemption(f, 1358n, { nonce: 100n })))
        .to.be.revertedWithCustomError(f.ledger, "LedgerInsufficientPoints")
        .withArgs(f.consumers[0].cardId, 1357n, 1358n);
      expect(await f.ledger.nonceUsed(f.shop.terminals[0].address, 100n)).to.equal(false);
    });
  });

  describe("when the redemption is rejected", function () {
    const cases: {
      title: string;
      reason: number;
      arrange: (f: Fixture) => Promise<SignedRedemption>;
    }[] = [
      { title: "of zero points", reason: Rejection.AmountOutOfBounds, arrange: (f) => redemption(f, 0n) },
      {
        title: "of more than MAX_AMOUNT points",
        reason: Rejection.AmountOutOfBounds,
        arrange: (f) => redemption(f, MAX_AMOUNT + 1n),
      },
      {
        title: "whose terminal signature is by another key",
        reason: Rejection.TerminalSignatureInvalid,
        arrange: (f) => redemption(f, 10n, { terminalKey: keyFor("impostor") }),
      },
      {
        title: "with a malleated (high-s) terminal signature",
        reason: Rejection.TerminalSignatureInvalid,
        arrange: async (f) => {
          const r = await redemption(f, 10n);
          const sig = highS({ r: String(r.signatures.terminalR), vs: String(r.signatures.terminalVS) });
          return { ...r, signatures: { ...r.signatures, terminalR: sig.r, terminalVS: sig.vs } };
        },
      },
      {
        title: "whose card signature is by another card's key",
        reason: Rejection.CardSignatureInvalid,
        arrange: (f) => redemption(f, 10n, { cardKey: f.consumers[1].key }),
      },
      {
        title: "with a malleated (high-s) card signature",
        reason: Rejection.CardSignatureInvalid,
        arrange: async (f) => {
          const r = await redemption(f, 10n);
          const sig = highS({ r: String(r.signatures.cardR), vs: String(r.signatures.cardVS) });
          return { ...r, signatures: { ...r.signatures, cardR: sig.r, cardVS: sig.vs } };
        },
      },
      {
        title: "on a frozen card",
        reason: Rejection.CardNotActive,
        arrange: async (f) => {
          await (await acting(f.registry, f.accounts.bank).freezeCard(f.consumers[0].cardId)).wait();
          return redemption(f, 10n);
        },
      },
      {
        title: "on a closed card",
        reason: Rejection.CardNotActive,
        arrange: async (f) => {
          await (await acting(f.registry, f.accounts.bank).closeCard(f.consumers[0].cardId)).wait();
          return redemption(f, 10n);
        },
      },
      {
        title: "on a merchant card",
        reason: Rejection.CardNotConsumer,
        arrange: (f) => redemption(f, 10n, { consumer: { cardId: f.cafe.cardId, key: f.cafe.key } }),
      },
      {
        title: "on a card that was never issued",
        reason: Rejection.CardUnknown,
        arrange: (f) => redemption(f, 10n, { consumer: { cardId: id("card:nobody"), key: keyFor("nobody") } }),
      },
      {
        title: "at a disabled terminal",
        reason: Rejection.TerminalDisabled,
        arrange: async (f) => {
          await (
            await acting(f.registry, f.accounts.bank).setTerminalEnabled(f.shop.terminals[0].address, false)
          ).wait();
          return redemption(f, 10n);
        },
      },
      {
        title: "at a terminal of a suspended merchant",
        reason: Rejection.MerchantInactive,
        arrange: async (f) => {
          await (await acting(f.registry, f.accounts.bank).setMerchantActive(f.shop.id, false)).wait();
          return redemption(f, 10n);
        },
      },
      {
        title: "at a terminal of a merchant whose card is frozen",
        reason: Rejection.MerchantCardNotActive,
        arrange: async (f) => {
          await (await acting(f.registry, f.accounts.bank).freezeCard(f.shop.cardId)).wait();
          return redemption(f, 10n);
        },
      },
      {
        title: "at a terminal of a merchant whose card is closed",
        reason: Rejection.MerchantCardNotActive,
        arrange: async (f) => {
          await (await acting(f.registry, f.accounts.bank).closeCard(f.shop.cardId)).wait();
          return redemption(f, 10n);
        },
      },
      {
        title: "at an unregistered terminal",
        reason: Rejection.TerminalUnknown,
        arrange: (f) => redemption(f, 10n, { terminal: keyFor("terminal-unregistered") }),
      },
      {
        title: "older than SIGNATURE_TTL",
        reason: Rejection.Expired,
        arrange: async (f) => {
          const r = await redemption(f, 10n);
          await time.increase(SIGNATURE_TTL + 1n);
          return r;
        },
      },
      {
        title: "dated beyond MAX_CLOCK_SKEW in the future",
        reason: Rejection.TimeInFuture,
        arrange: async (f) => redemption(f, 10n, { time: (await latestTime()) + 3_600n }),
      },
    ];

    for (const c of cases) {
      const name = Object.entries(Rejection).find(([, v]) => v === c.reason)![0];
      it(`reverts a redemption ${c.title} with LedgerRedemptionRejected(${name})`, async function () {
        const f = await loadFixture(earnedPointsFixture);
        const r = await c.arrange(f);
        await expect(submitRedemption(f.gateway, r))
          .to.be.revertedWithCustomError(f.ledger, "LedgerRedemptionRejected")
          .withArgs(c.reason);
      });
    }
  });

  describe("when the caller is not the gateway", function () {
    it("rejects the outsider and the bank with LedgerUnauthorized", async function () {
      const f = await loadFixture(earnedPointsFixture);
      const r = await redemption(f, 10n);
      for (const caller of [f.accounts.outsider, f.accounts.bank]) {
        await expect(submitRedemption(f.ledger.connect(caller), r))
          .to.be.revertedWithCustomError(f.ledger, "LedgerUnauthorized")
          .withArgs(caller.address, ROLES.GATEWAY);
      }
    });
  });
});
