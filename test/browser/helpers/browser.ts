/**
 * A real Chromium (Debian's /usr/bin/chromium, driven by playwright-core) for the console's
 * tests: each page gets its own platform authenticator from Chromium's virtual authenticator
 * (the DevTools protocol's WebAuthn domain: CTAP2, internal transport, resident keys, user
 * verification), so passkeys are created and used headless. Pages record CSP violations and
 * uncaught errors; `checkAccessibility` runs axe-core; screenshots go to test-results/browser/
 * (not committed).
 */
import { expect } from "chai";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { chromium, type Browser, type CDPSession, type Page } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = path.resolve(__dirname, "../../../test-results/browser");
export const WEB_BUILD = path.resolve(__dirname, "../../../dist/web");

export function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(path.join(WEB_BUILD, "console", "index.html"))) throw new Error("the console is not built: npm run build:web");
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

export interface ConsolePage {
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
  /** Console messages that report a Content Security Policy violation. */
  cspViolations: string[];
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
}

/** A new browser context (its own cookies) with a virtual platform authenticator that verifies its user. */
export async function openConsolePage(browser: Browser, locale = "en-US"): Promise<ConsolePage> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Trusted Type/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on("pageerror", (err) => pageErrors.push(err.message));
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { page, cdp, authenticatorId, cspViolations, pageErrors };
}

/** The passkeys the page's virtual authenticator holds. */
export async function passkeysOf(p: ConsolePage) {
  const { credentials } = await p.cdp.send("WebAuthn.getCredentials", { authenticatorId: p.authenticatorId });
  return credentials;
}

/** axe-core over the page: no serious or critical violation (WCAG 2.1 A and AA rules). */
export async function checkAccessibility(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`), `axe on ${what}`).to.deep.equal([]);
}

/**
 * No element carries an inline style attribute (the CSP forbids inline styles; React's style props
 * would add them). `outside`: a selector whose descendants may (a chart library sizing its canvas
 * through the CSSOM, which the CSP allows).
 */
export async function expectNoInlineStyles(page: Page, outside?: string): Promise<void> {
  const selector = outside ? `[style]:not(${outside} *)` : "[style]";
  expect(await page.locator(selector).count(), "elements with a style attribute").to.equal(0);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A TCP port free right now on the loopback (the gateway's public origin must name it before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A gateway URL as the browser must open it: WebAuthn's relying party ID cannot be an IP address. */
export function localhostUrl(url: string): string {
  const u = new URL(url);
  u.hostname = "localhost";
  return u.origin;
}
