/**
 * The consumers' and merchants' portal end to end (issue 15, first slice), in a real Chromium
 * with a phone-sized viewport against a real gateway: a consumer activates the account with the
 * code the bank asked for, signs in, sees the balance and the history a settlement made a moment
 * ago (with the merchant's name), sees nothing of another account by changing the number in the
 * address, switches to Chinese, signs out; repeated wrong passwords lock the account without
 * locking another; a holder adds a passkey and signs in with it; a merchant sees its points
 * granted and its figures by day, with a chart of each; a consumer reports the card lost (with the
 * keyboard, through a confirmation) and the next settlement on it is refused with
 * card.not_active. Forms are used with the keyboard (Enter submits). Every page is checked with
 * axe and photographed into test-results/browser/; no page logs a CSP violation.
 */
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { checkAccessibility, expectNoInlineStyles, freePort, launchBrowser, screenshot } from "./helpers/browser";
import { issueConsumer, openMerchant, post, setConsumerTiers, settle, startPortalGateway, trySettle, type ConsumerCard, type PortalGateway, type PortalMerchant } from "../portal/helpers/portal-gateway";
import { GatewayError } from "../../src/sdk/http";

const PHONE = { width: 390, height: 844 };

interface PortalPage {
  page: Page;
  cspViolations: string[];
  pageErrors: string[];
}

describe("portal, end to end: a consumer and a merchant in the browser", function () {
  this.timeout(300_000);
  let g: PortalGateway | undefined;
  let browser: Browser | undefined;
  let url: string;
  let alice: ConsumerCard;
  let bob: ConsumerCard;
  let shop: PortalMerchant;
  const opened: PortalPage[] = [];

  before(async () => {
    const port = await freePort();
    url = `http://localhost:${port}`;
    g = await startPortalGateway({ port, origin: url });
    shop = await openMerchant(g, "Tea House");
    alice = await issueConsumer(g, "Alice");
    bob = await issueConsumer(g, "Bob");
    await settle(shop, alice, "2500");
    await setConsumerTiers(g);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await g?.stop();
  });

  /** A new context (its own cookies), phone-sized, with a virtual platform authenticator that verifies its user. */
  async function openPortal(locale = "en-US"): Promise<PortalPage> {
    const context = await browser!.newContext({ locale, viewport: PHONE, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable", { enableUI: false });
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    const p = { page, cspViolations: [] as string[], pageErrors: [] as string[] };
    page.on("console", (m) => {
      if (/Content Security Policy|Trusted Type/i.test(m.text())) p.cspViolations.push(m.text());
    });
    page.on("pageerror", (err) => p.pageErrors.push(err.message));
    opened.push(p);
    return p;
  }

  const codeOf = async (path: string) => (await post(g!, path, {}, g!.bank.cookie).expect(200)).body as { account: string; code: string };

  async function signIn(page: Page, account: string, password: string): Promise<void> {
    await page.getByLabel("Account name").fill(account);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByLabel("Password", { exact: true }).press("Enter");
  }

  it("activates, signs in, shows the balance and history, nothing of another account, Chinese, and signs out", async () => {
    const { page } = await openPortal();
    const { account, code } = await codeOf(`/v1/cards/${alice.cardId}/activation-code`);
    await page.goto(`${url}/portal/activate`);
    await page.getByRole("heading", { level: 1, name: "Activate your account" }).waitFor();
    await page.getByLabel("Account name").fill(account);
    await page.getByLabel("Activation code").fill(code);
    await page.getByLabel("New password").fill("password123");
    await page.getByLabel("New password").press("Enter");
    await page.getByRole("alert").getByText("This password is too common: choose another.").waitFor();
    await checkAccessibility(page, "activate");
    await screenshot(page, "portal-en-1-activate");
    await page.getByLabel("New password").fill("tea and biscuits at four");
    await page.getByRole("button", { name: "Activate" }).click();
    await page.getByRole("status").getByText(`Account ${account} is active: sign in with your new password.`).waitFor();
    expect(await page.getByLabel("Account name").inputValue()).to.equal(account);
    await checkAccessibility(page, "sign in");
    await screenshot(page, "portal-en-2-sign-in");

    await page.getByLabel("Password", { exact: true }).fill("tea and biscuits at four");
    await page.getByLabel("Password", { exact: true }).press("Enter");
    await page.getByRole("heading", { level: 1, name: "My card" }).waitFor();
    expect(page.url()).to.equal(`${url}/portal/accounts/${account.slice(2)}`);
    expect(await page.getByTestId("balance").textContent()).to.equal("125");
    const row = page.getByRole("row").filter({ hasText: "Tea House" });
    await row.waitFor();
    expect(await row.textContent()).to.contain("Earned").and.to.contain("25.00").and.to.contain("125");
    expect(await page.getByText(`•••• ${alice.cardId.slice(-4).toUpperCase()}`).count()).to.equal(1);
    expect(await page.content()).not.to.contain(alice.cardId.slice(2, 40));
    expect(await page.getByTestId("next-tier").textContent()).to.match(/^5,000: needs a score of at least 300 \(now \d+\) and at least 1,000 points \(now 125\)$/);
    const balanceChart = page.getByRole("img", { name: "Chart of the points balance after each movement in the history below" });
    expect(await balanceChart.evaluate((el) => el.tagName)).to.equal("CANVAS");
    await page.getByLabel("Show").selectOption("redeemed");
    await page.getByText("No movements in this period.").waitFor();
    await page.getByLabel("Show").selectOption("");
    await page.getByRole("row").filter({ hasText: "Tea House" }).waitFor();
    await checkAccessibility(page, "my card");
    await screenshot(page, "portal-en-3-card");

    await page.goto(`${url}/portal/accounts/${bob.account.slice(2)}`);
    await page.getByRole("heading", { level: 1, name: "Nothing here" }).waitFor();
    expect(await page.getByTestId("balance").count()).to.equal(0);
    await checkAccessibility(page, "another account");
    await screenshot(page, "portal-en-4-another-account");

    await page.getByRole("link", { name: "My card" }).click();
    await page.getByRole("button", { name: "中文" }).click();
    await page.getByRole("heading", { level: 1, name: "我的卡" }).waitFor();
    expect(await page.getAttribute("html", "lang")).to.equal("zh-CN");
    await page.getByRole("row").filter({ hasText: "Tea House" }).getByText("获得").waitFor();
    await checkAccessibility(page, "my card (zh)");
    await screenshot(page, "portal-zh-3-card");
    await page.getByRole("button", { name: "English" }).click();

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    await page.goto(`${url}/portal/accounts/${account.slice(2)}`);
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    expect(await page.getByTestId("balance").count()).to.equal(0);
  });

  it("locks an account after repeated wrong passwords, without locking another account", async () => {
    const { page } = await openPortal("zh-CN");
    for (const card of [alice, bob]) {
      const { code } = await codeOf(`/v1/cards/${card.cardId}/activation-code`);
      await post(g!, "/v1/portal/activation", { account: card.account, code, password: "a long enough passphrase" }).expect(200);
    }
    await page.goto(`${url}/portal/sign-in`);
    await page.getByRole("heading", { level: 1, name: "登录" }).waitFor();
    await page.getByRole("button", { name: "English" }).click();
    for (let i = 0; i < 3; i++) {
      await signIn(page, alice.account, `wrong password ${i}`);
      await page.getByRole("alert").getByText("Wrong account name or password.").waitFor();
    }
    await signIn(page, alice.account, "a long enough passphrase");
    await page.getByRole("alert").getByText("Too many wrong passwords for this account: try again later.").waitFor();
    await checkAccessibility(page, "locked");
    await screenshot(page, "portal-en-5-locked");
    await signIn(page, bob.account, "a long enough passphrase");
    await page.getByRole("heading", { level: 1, name: "My card" }).waitFor();
    expect(await page.getByTestId("balance").textContent()).to.equal("0");
  });

  it("adds a passkey to an account and signs in with it after signing out", async () => {
    const { page } = await openPortal();
    await page.goto(`${url}/portal/sign-in`);
    await signIn(page, bob.account, "a long enough passphrase");
    await page.getByRole("heading", { level: 1, name: "My card" }).waitFor();
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await page.getByRole("status").getByText("Passkey added: next time, sign in with it.").waitFor();
    await checkAccessibility(page, "passkey added");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.getByRole("heading", { level: 1, name: "My card" }).waitFor();
    expect(page.url()).to.equal(`${url}/portal/accounts/${bob.account.slice(2)}`);
    await page.getByText(`Account ${bob.account}`).waitFor();
  });

  it("shows a merchant its agreement and points granted, in both languages", async () => {
    const { page } = await openPortal();
    const { account, code } = await codeOf(`/v1/merchants/${shop.merchantId}/activation-code`);
    await post(g!, "/v1/portal/activation", { account, code, password: "merchant passphrase" }).expect(200);
    await page.goto(`${url}/portal/`);
    await signIn(page, account, "merchant passphrase");
    await page.getByRole("heading", { level: 1, name: "Tea House" }).waitFor();
    expect(await page.getByTestId("points-granted").textContent()).to.equal("125");
    await page.getByText("Agreement in force (version 1)").waitFor();
    await page.getByRole("row").filter({ hasText: shop.terminalAddress }).getByText("Enabled").waitFor();
    const day = page.getByRole("region", { name: "By day and terminal" }).getByRole("row").nth(1);
    expect(await day.textContent()).to.contain("25.00").and.to.contain("125");
    expect(await page.getByRole("img", { name: "Chart of settlements, refunds and redemptions per day, as in the table below" }).evaluate((el) => el.tagName)).to.equal("CANVAS");
    const csvHref = await page.getByRole("link", { name: "Download this period as CSV" }).getAttribute("href");
    const csv = await page.request.get(`${url}${csvHref}`);
    expect(csv.status()).to.equal(200);
    expect((await csv.text()).split("\r\n")[1]).to.match(new RegExp(`^\\d{4}-\\d{2}-\\d{2},${shop.terminalAddress},1,2500,125,`));
    await checkAccessibility(page, "merchant");
    await screenshot(page, "portal-en-6-merchant");
    await page.getByRole("button", { name: "中文" }).click();
    await page.getByText("现行协议（第 1 版）").waitFor();
    await checkAccessibility(page, "merchant (zh)");
    await screenshot(page, "portal-zh-6-merchant");

    await page.goto(`${url}/portal/accounts/${alice.account.slice(2)}`);
    await page.getByRole("heading", { level: 1, name: "这里没有内容" }).waitFor();
  });

  it("reports a card lost with the keyboard, after a confirmation, and the next settlement on it is refused", async () => {
    const { page } = await openPortal();
    await page.goto(`${url}/portal/sign-in`);
    await signIn(page, bob.account, "a long enough passphrase");
    await page.getByRole("heading", { level: 1, name: "My card" }).waitFor();
    const report = page.getByRole("button", { name: "Report my card lost" });
    await report.focus();
    await page.keyboard.press("Enter");
    const question = page.getByText("Freeze your card now? Only the bank can unfreeze it: you will need to call or visit the bank.");
    await question.waitFor();
    expect(await question.evaluate((el) => el === document.activeElement), "the question takes the focus").to.equal(true);
    await checkAccessibility(page, "report lost (confirmation)");
    await screenshot(page, "portal-en-7-report-lost-confirm");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal("Cancel");
    await page.keyboard.press("Enter");
    await report.waitFor();
    expect(await (await g!.chain.registry.card(bob.cardId)).status).to.equal(1n);

    await report.focus();
    await page.keyboard.press("Enter");
    await question.waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal("Yes, freeze my card");
    await page.keyboard.press("Enter");
    await page.getByRole("status").getByText("Your card is frozen. To use it again, or to get a replacement, contact the bank.").waitFor();
    await page.getByText("Frozen", { exact: true }).waitFor();
    expect((await g!.chain.registry.card(bob.cardId)).status).to.equal(2n);
    await checkAccessibility(page, "report lost (done)");
    await screenshot(page, "portal-en-8-card-frozen");

    const refused = await trySettle(shop, bob, "1000").then(
      (status) => status,
      (err: unknown) => err,
    );
    expect(refused).to.be.instanceOf(GatewayError);
    expect((refused as GatewayError).code).to.equal("card.not_active");

    await page.getByRole("button", { name: "中文" }).click();
    await page.getByRole("heading", { level: 1, name: "我的卡" }).waitFor();
    await page.getByRole("status").getByText("您的卡已冻结。如需恢复使用或补办新卡，请联系银行。").waitFor();
    await checkAccessibility(page, "card frozen (zh)");
    await screenshot(page, "portal-zh-8-card-frozen");
    await page.getByRole("button", { name: "English" }).click();
  });

  it("logged no CSP violation and no page error on any page, charts included", async () => {
    for (const p of opened) {
      await expectNoInlineStyles(p.page, ".chart");
      expect(p.cspViolations).to.deep.equal([]);
      expect(p.pageErrors).to.deep.equal([]);
    }
  });
});
