/**
 * The operator console as a browser meets it, on a real gateway and a real Chromium: how it is
 * served (cache, CSP, nothing inline), its pages in English and Chinese, keyboard focus, axe,
 * and the enrolment page creating a passkey with the virtual authenticator and signing the
 * enrolment with the code's key in the browser. Until the gateway's enrolment endpoints are
 * merged, the enrolment tests answer those three endpoints from the test with the real
 * @simplewebauthn/server verification and the real step helpers (src/domain/operator-steps.ts);
 * everything else is the gateway's. The whole operator flow against the gateway alone is
 * operator-console.e2e.spec.ts.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet, getBytes, hexlify, randomBytes, recoverAddress, toBeHex } from "ethers";
import type { Browser, Page, Route } from "playwright-core";
import { generateRegistrationOptions, verifyRegistrationResponse, type RegistrationResponseJSON } from "@simplewebauthn/server";
import { convertCOSEtoPKCS } from "@simplewebauthn/server/helpers";
import { loadConfig } from "../../src/config";
import { startGateway, type RunningGateway } from "../../src/gateway";
import { ROLES } from "../../src/chain/roles";
import { codeRedemptionStep, enrolmentCodePrivateKey, operatorDomain, passkeyKey, stepDigest } from "../../src/domain/operator-steps";
import { base64url } from "../../src/domain/webauthn";
import { WEB_BUILD, checkAccessibility, expectNoInlineStyles, launchBrowser, localhostUrl, openConsolePage, passkeysOf, screenshot } from "./helpers/browser";

describe("operator console (browser)", function () {
  this.timeout(120_000);
  let gateway: RunningGateway;
  let dataDir: string;
  let url: string;
  let browser: Browser;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-console-"));
    gateway = await startGateway(loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent" }));
    url = localhostUrl(gateway.url);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await gateway?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe("serving", () => {
    it("serves the console's page uncached under a CSP that allows no inline script or style", async () => {
      for (const at of ["/console/", "/console/proposals"]) {
        const res = await fetch(url + at);
        expect(res.status, at).to.equal(200);
        expect(res.headers.get("cache-control")).to.equal("no-cache");
        const csp = res.headers.get("content-security-policy") ?? "";
        for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) {
          expect(csp, at).to.include(directive);
        }
        expect(csp).not.to.include("unsafe");
      }
    });

    it("serves hashed assets cached for a year and sends /console to /console/", async () => {
      const html = await (await fetch(`${url}/console/`)).text();
      const assets = [...html.matchAll(/(?:src|href)="(\/web\/assets\/[^"]+)"/g)].map((m) => m[1]);
      expect(assets.length).to.be.at.least(2);
      for (const asset of assets) {
        const res = await fetch(url + asset);
        expect(res.status, asset).to.equal(200);
        expect(res.headers.get("cache-control"), asset).to.equal("public, max-age=31536000, immutable");
      }
      const redirect = await fetch(`${url}/console`, { redirect: "manual" });
      expect(redirect.status).to.equal(301);
      expect(redirect.headers.get("location")).to.equal("/console/");
      expect((await fetch(`${url}/web/assets/none.js`)).status).to.equal(404);
    });

    it("builds pages with no inline script, style or style attribute", () => {
      const pages = fs.readdirSync(WEB_BUILD, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".html"));
      expect(pages).to.include(path.join("console", "index.html"));
      for (const page of pages) {
        const html = fs.readFileSync(path.join(WEB_BUILD, page), "utf8");
        expect(html, page).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/i);
        expect(html, page).not.to.match(/<style[\s>]/i);
        expect(html, page).not.to.match(/\sstyle=/i);
        expect(html, page).not.to.match(/(?:src|href)="data:/i);
      }
    });
  });

  describe("pages", () => {
    it("shows the sign-in and enrolment pages in English and Chinese, sets lang, and passes axe", async () => {
      const p = await openConsolePage(browser);
      await p.page.goto(`${url}/console/`);
      await expectHeading(p.page, "Sign in");
      expect(await p.page.getAttribute("html", "lang")).to.equal("en");
      await checkAccessibility(p.page, "sign-in (en)");
      await screenshot(p.page, "sign-in-en");

      await p.page.getByRole("button", { name: "中文" }).click();
      await expectHeading(p.page, "登录");
      expect(await p.page.getAttribute("html", "lang")).to.equal("zh-CN");
      expect(await p.page.getByRole("button", { name: "中文" }).getAttribute("aria-pressed")).to.equal("true");
      await checkAccessibility(p.page, "sign-in (zh)");
      await screenshot(p.page, "sign-in-zh");

      await p.page.getByRole("link", { name: "登记通行密钥" }).first().click();
      await expectHeading(p.page, "登记通行密钥");
      await checkAccessibility(p.page, "enrol (zh)");
      await screenshot(p.page, "enrol-zh");

      // The choice outlives a reload.
      await p.page.reload();
      await expectHeading(p.page, "登记通行密钥");
      await expectNoInlineStyles(p.page);
      expect(p.cspViolations).to.deep.equal([]);
      expect(p.pageErrors).to.deep.equal([]);
      await p.page.context().close();
    });

    it("opens in Chinese for a browser that prefers Chinese", async () => {
      const p = await openConsolePage(browser, "zh-CN");
      await p.page.goto(`${url}/console/enrol`);
      await expectHeading(p.page, "登记通行密钥");
      expect(await p.page.getAttribute("html", "lang")).to.equal("zh-CN");
      await p.page.context().close();
    });

    it("is usable with the keyboard: skip link first, links followed with Enter, focus on the new page's heading", async () => {
      const p = await openConsolePage(browser);
      await p.page.goto(`${url}/console/`);
      await expectHeading(p.page, "Sign in");
      await p.page.keyboard.press("Tab");
      expect(await activeText(p.page)).to.equal("Skip to content");
      await p.page.keyboard.press("Tab");
      await p.page.keyboard.press("Tab");
      expect(await activeText(p.page)).to.equal("Enrol a passkey");
      await p.page.keyboard.press("Enter");
      await expectHeading(p.page, "Enrol a passkey");
      expect(await p.page.evaluate(() => document.activeElement?.tagName)).to.equal("H1");
      expect(new URL(p.page.url()).pathname).to.equal("/console/enrol");
      await p.page.goBack();
      await expectHeading(p.page, "Sign in");
      expect(await activeText(p.page)).to.equal("Sign in");
      await p.page.goto(`${url}/console/no-such-page`);
      await expectHeading(p.page, "Page not found");
      await p.page.context().close();
    });
  });

  describe("enrolment with the code (the gateway's enrolment endpoints stood in)", () => {
    const code = "3f9a-0c41-77d2-be10-5a6e-91c3-0d4f-2b88";

    it("creates a passkey with the authenticator and signs its enrolment with the code's key, never sending the code", async () => {
      const p = await openConsolePage(browser);
      const enrolment = await standInEnrolment(p.page, gateway, url);
      await p.page.goto(`${url}/console/enrol`);
      await expectHeading(p.page, "Enrol a passkey");
      await p.page.getByLabel("Bank").check();
      await p.page.getByLabel("Your label").fill("bank-operator-1");
      await p.page.getByLabel("Enrolment code").fill(code);
      await checkAccessibility(p.page, "enrol, filled");
      await p.page.getByRole("button", { name: "Create and enrol the passkey" }).click();
      await p.page.getByText("Enrolled: your credential is number 7.").waitFor();
      await screenshot(p.page, "enrol-done-stand-in");

      const passkeys = await passkeysOf(p);
      expect(passkeys).to.have.length(1);
      expect(passkeys[0].isResidentCredential).to.equal(true);
      expect(passkeys[0].rpId).to.equal("localhost");
      expect(enrolment.signatures).to.have.length(1);
      expect(recoverAddress(enrolment.digest!, enrolment.signatures[0])).to.equal(new Wallet(enrolmentCodePrivateKey(code)).address);
      expect(enrolment.bodies.join("\n")).not.to.include(code);
      expect(p.cspViolations).to.deep.equal([]);
      await p.page.context().close();
    });

    it("refuses to sign a draft that enrols another key than the passkey just created", async () => {
      const p = await openConsolePage(browser);
      const enrolment = await standInEnrolment(p.page, gateway, url, { swapKey: true });
      await p.page.goto(`${url}/console/enrol`);
      await p.page.getByLabel("Credit center").check();
      await p.page.getByLabel("Your label").fill("cc-operator-1");
      await p.page.getByLabel("Enrolment code").fill(code);
      await p.page.getByRole("button", { name: "Create and enrol the passkey" }).click();
      await p.page.getByRole("alert").getByText("Refused to sign: the draft does not enrol the passkey just created.").waitFor();
      expect(enrolment.signatures).to.deep.equal([]);
      await p.page.context().close();
    });
  });
});

async function expectHeading(page: Page, text: string): Promise<void> {
  await page.getByRole("heading", { level: 1, name: text }).waitFor();
}

function activeText(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.activeElement?.textContent?.trim());
}

/**
 * Answers GET /v1/enrolment, POST /v1/enrolment/options, /drafts and /drafts/:id/signatures as
 * the agreed API does for an institution whose code is open: real registration options and
 * verification (@simplewebauthn/server), a RedeemEnrolmentCode step for the verified key under
 * the deployment's credentials contract, and the signature recorded. `swapKey` drafts the
 * enrolment of another key, as a dishonest gateway would.
 */
async function standInEnrolment(page: Page, gateway: RunningGateway, origin: string, options: { swapKey?: boolean } = {}) {
  const recorded = { digest: undefined as string | undefined, signatures: [] as string[], bodies: [] as string[] };
  let challenge = "";
  let institution = "";
  const json = (route: Route, body: unknown) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(body) });
  await page.route(
    (u) => u.pathname.startsWith("/v1/enrolment"),
    async (route) => {
      const request = route.request();
      const at = new URL(request.url()).pathname;
      const body = request.postData() ?? "";
      recorded.bodies.push(body);
      if (at === "/v1/enrolment") return json(route, { institutions: { bank: { credentials: 0, codeOpen: true }, credit_center: { credentials: 0, codeOpen: true } } });
      if (at === "/v1/enrolment/options") {
        institution = (JSON.parse(body) as { institution: string }).institution;
        const publicKey = await generateRegistrationOptions({
          rpName: "Credence",
          rpID: "localhost",
          userName: "operator",
          attestationType: "none",
          supportedAlgorithmIDs: [-7],
          authenticatorSelection: { residentKey: "required", userVerification: "required" },
        });
        challenge = publicKey.challenge;
        return json(route, { challengeId: "c1", publicKey });
      }
      if (at === "/v1/enrolment/drafts") {
        const { response } = JSON.parse(body) as { response: RegistrationResponseJSON };
        const verified = await verifyRegistrationResponse({ response, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: "localhost", requireUserVerification: true });
        const point = convertCOSEtoPKCS(verified.registrationInfo!.credential.publicKey);
        let qx = hexlify(point.subarray(1, 33));
        const qy = hexlify(point.subarray(33, 65));
        if (options.swapKey) qx = toBeHex(BigInt(qx) ^ 1n, 32);
        const operatorId = hexlify(randomBytes(32));
        const role = institution === "bank" ? ROLES.BANK : ROLES.CREDIT_CENTER;
        const step = codeRedemptionStep(role, operatorId, passkeyKey(qx, qy), hexlify(randomBytes(32)));
        const digest = stepDigest(operatorDomain(BigInt(gateway.deployment.chainId), gateway.deployment.operators!), step);
        recorded.digest = digest;
        return json(route, {
          draftId: "d1",
          institution,
          operatorId,
          key: { qx, qy },
          step: { kind: String(step.kind), subject: "0", actionHash: step.actionHash, salt: step.salt, notAfter: step.notAfter.toString() },
          digest,
          challenge: base64url(getBytes(digest)),
          method: "code",
          signaturesNeeded: 1,
        });
      }
      if (at === "/v1/enrolment/drafts/d1/signatures") {
        recorded.signatures.push((JSON.parse(body) as { signature: string }).signature);
        return json(route, { status: "enrolled", credentialId: "7" });
      }
      return route.fallback();
    },
  );
  return recorded;
}
