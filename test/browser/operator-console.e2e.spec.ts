/**
 * Issue 14's scenario, end to end, in a real Chromium against a real gateway whose first
 * operators are named by one-time enrolment codes: a bank operator and a credit-center operator
 * each enrol a passkey in the console (each browser context with its own virtual
 * authenticator), sign in, the bank proposes a card issuance, the credit center reads it in
 * words and approves it, and the card exists on chain; a draft the gateway alters (a consistent
 * step for another card key) is refused before any signature. Every page is checked with axe and
 * photographed into test-results/browser/. It needs the gateway's operator API (sessions,
 * enrolment, decisions): on a gateway without it, the suite says so and is skipped.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Interface, Wallet, getBytes, keccak256 } from "ethers";
import type { Browser } from "playwright-core";
import { loadConfig } from "../../src/config";
import { startGateway, type RunningGateway } from "../../src/gateway";
import { LedgerClient } from "../../src/chain/ledger-client";
import { operatorDomain, stepDigest, type StepKind } from "../../src/domain/operator-steps";
import { base64url } from "../../src/domain/webauthn";
import { ICardRegistry__factory } from "../../typechain-types/factories/contracts/registry/ICardRegistry__factory";
import { checkAccessibility, expectNoInlineStyles, freePort, launchBrowser, openConsolePage, passkeysOf, screenshot, type ConsolePage } from "./helpers/browser";

interface DecisionDraft {
  action: string;
  step: { kind: string; subject: string; actionHash: string; salt: string; notAfter: string };
  digest: string;
  challenge: string;
  verifyingContract: string;
  chainId: string;
}

/** The draft a dishonest gateway would send: issueCard for `key`, with a step and digest that match it. */
function redirectedDraft(draft: DecisionDraft, key: string): DecisionDraft {
  const registry = new Interface(ICardRegistry__factory.abi);
  const call = registry.decodeFunctionData("issueCard", draft.action);
  const action = registry.encodeFunctionData("issueCard", [call[0], call[1], key, call[3]]);
  const step = { ...draft.step, actionHash: keccak256(action) };
  const digest = stepDigest(operatorDomain(BigInt(draft.chainId), draft.verifyingContract), {
    kind: Number(step.kind) as StepKind,
    subject: BigInt(step.subject),
    actionHash: step.actionHash,
    salt: step.salt,
    notAfter: BigInt(step.notAfter),
  });
  return { ...draft, action, step, digest, challenge: base64url(getBytes(digest)) };
}

/** IDs of CardStatus.Active (contracts/registry/ICardRegistry.sol). */
const CARD_ACTIVE = 1n;

describe("operator console, end to end: two institutions issue a card with their passkeys", function () {
  this.timeout(300_000);
  let gateway: RunningGateway | undefined;
  let chain: LedgerClient | undefined;
  let dataDir: string;
  let url: string;
  let browser: Browser | undefined;
  let codes: { bank: string; credit_center: string };

  before(async function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-console-e2e-"));
    const port = await freePort();
    url = `http://localhost:${port}`;
    gateway = await startGateway(
      loadConfig({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "silent", FIRST_OPERATORS: "enrolment-codes", PUBLIC_ORIGIN: url, RP_ID: "localhost" }),
    );
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    if (!document.paths["/v1/enrolment/drafts"] || !document.paths["/v1/decisions"]) {
      console.log("      (skipped: this gateway has no operator API - /v1/enrolment, /v1/decisions)");
      this.skip();
    }
    codes = JSON.parse(fs.readFileSync(path.join(dataDir, "enrolment-codes.json"), "utf8")) as typeof codes;
    chain = LedgerClient.connect(gateway.rpcEndpoint, gateway.deployment, 0);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    chain?.provider.destroy();
    await gateway?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function enrolAndSignIn(p: ConsolePage, who: "bank" | "credit_center"): Promise<void> {
    const institution = who === "bank" ? "Bank" : "Credit center";
    await p.page.goto(`${url}/console/enrol`);
    await p.page.getByRole("heading", { level: 1, name: "Enrol a passkey" }).waitFor();
    await p.page.getByLabel(institution).check();
    await p.page.getByLabel("Your label").fill(`${who}-operator-1`);
    await p.page.getByLabel("Enrolment code").fill(codes[who]);
    await checkAccessibility(p.page, `enrol (${who})`);
    await screenshot(p.page, `e2e-${who}-1-enrol`);
    await p.page.getByRole("button", { name: "Create and enrol the passkey" }).click();
    await p.page.getByText(/^Enrolled: your credential is number \d+\./).waitFor({ timeout: 60_000 });
    await screenshot(p.page, `e2e-${who}-2-enrolled`);
    expect(await passkeysOf(p)).to.have.length(1);

    await p.page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
    await p.page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await p.page.getByRole("heading", { level: 1, name: "Pending proposals" }).waitFor();
    await p.page.getByText(new RegExp(`^Credential \\d+, ${institution}$`)).waitFor();
    await checkAccessibility(p.page, `proposals (${who})`);
    await screenshot(p.page, `e2e-${who}-3-signed-in`);

    await p.page.getByRole("link", { name: "Operators" }).click();
    await p.page.getByRole("heading", { level: 1, name: `Operators of the ${institution}` }).waitFor();
    await p.page.getByRole("cell", { name: /\(you\)$/ }).waitFor();
    expect(await p.page.getByRole("row").count()).to.equal(2); // the header and this operator
    await checkAccessibility(p.page, `operators (${who})`);
    await screenshot(p.page, `e2e-${who}-4-operators`);
  }

  it("enrols both operators, the bank proposes a card, the credit center approves it, and the card exists", async () => {
    const bank = await openConsolePage(browser!);
    const creditCenter = await openConsolePage(browser!);
    await enrolAndSignIn(bank, "bank");
    await enrolAndSignIn(creditCenter, "credit_center");

    const cardKey = Wallet.createRandom().address;
    await bank.page.getByRole("link", { name: "Propose a card" }).click();
    await bank.page.getByRole("heading", { level: 1, name: "Propose a card" }).waitFor();
    await bank.page.getByLabel("Card kind").selectOption("consumer");
    await bank.page.getByLabel("Card key (address)").fill(cardKey);
    await bank.page.getByLabel("Holder's name").fill("Li Wei");
    await bank.page.getByLabel("Holder's national ID").fill("110101199003074512");
    await checkAccessibility(bank.page, "propose a card");
    await screenshot(bank.page, "e2e-bank-5-propose");
    await bank.page.getByRole("button", { name: "Sign and propose" }).click();
    await bank.page.getByText(/^Proposed as proposal \d+/).waitFor({ timeout: 60_000 });
    await screenshot(bank.page, "e2e-bank-6-proposed");

    await creditCenter.page.getByRole("link", { name: "Pending proposals" }).click();
    const proposal = creditCenter.page.getByRole("article").filter({ hasText: cardKey });
    await proposal.waitFor();
    const words = (await proposal.locator(".action-words").textContent()) ?? "";
    expect(words).to.match(new RegExp(`^Issue a consumer card 0x[0-9a-f]{64} with card key ${cardKey}$`));
    expect(await proposal.textContent()).to.include("(Bank)");
    expect(await proposal.textContent()).not.to.include("Li Wei");
    await checkAccessibility(creditCenter.page, "pending proposals");
    await screenshot(creditCenter.page, "e2e-credit_center-5-pending");
    await proposal.getByRole("button", { name: "Approve" }).click();
    await creditCenter.page.getByText("Approved: the action ran on chain.").waitFor({ timeout: 60_000 });
    await screenshot(creditCenter.page, "e2e-credit_center-6-approved");

    const cardId = /card (0x[0-9a-f]{64})/.exec(words)![1];
    const card = await chain!.registry.card(cardId);
    expect(card.key).to.equal(cardKey);
    expect(card.status).to.equal(CARD_ACTIVE);

    // A gateway that drafts a consistent step for another card key than the one typed is refused,
    // and nothing is signed or sent.
    const otherKey = Wallet.createRandom().address;
    const decisions: string[] = [];
    bank.page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/v1/decisions") decisions.push(r.url());
    });
    await bank.page.route(
      (u) => u.pathname === "/v1/decisions/drafts",
      async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, json: redirectedDraft((await response.json()) as DecisionDraft, otherKey) });
      },
    );
    await bank.page.getByRole("link", { name: "Propose a card" }).click();
    await bank.page.getByLabel("Card key (address)").fill(Wallet.createRandom().address);
    await bank.page.getByLabel("Holder's name").fill("Wang Fang");
    await bank.page.getByLabel("Holder's national ID").fill("110101198507150028");
    await bank.page.getByRole("button", { name: "Sign and propose" }).click();
    await bank.page.getByRole("alert").getByText("Refused to sign: the action in the draft is not the one shown.").waitFor();
    await screenshot(bank.page, "e2e-bank-7-refused");
    expect(decisions).to.deep.equal([]);

    await bank.page.getByRole("button", { name: "Sign out" }).click();
    await bank.page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    for (const p of [bank, creditCenter]) {
      await expectNoInlineStyles(p.page);
      expect(p.cspViolations).to.deep.equal([]);
      expect(p.pageErrors).to.deep.equal([]);
    }
  });
});
