/**
 * Operator endpoints (bearer token): dual-control proposals, card lifecycle, merchants,
 * terminals, agreements, the credit-point rule, the emergency pause, and identity erasure
 * (proposed by one institution, erased when the other approves).
 * The bank and the credit center each sign with their own key; the chain refuses any approval by
 * the proposer or by its own side.
 */
import { Router } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { defineRoute } from "../route";
import { currentOperator, type Auth } from "../../auth";
import type { ControllerRole, OperationsService } from "./service";
import { categoryRatesBounded, currencyCode, MAX_BASE_RATE_BPS, packMultipliers } from "../../domain/points";
import { DomainError } from "../../http/problem";
import {
  activeBody,
  agreementBody,
  cardParams,
  cardStatusBody,
  creditRuleBody,
  enabledBody,
  issueCardBody,
  merchantParams,
  pausedBody,
  proposalParams,
  registerMerchantBody,
  registerTerminalBody,
  replaceCardBody,
  targetParams,
  terminalParams,
  voidPointsBody,
} from "./schemas";

export function operationRoutes(registry: OpenAPIRegistry, auth: Auth, ops: OperationsService): Router {
  const router = Router();
  const controllers = auth.requireRole("bank", "credit_center");
  const bank = auth.requireRole("bank");
  const tags = ["operators"];
  const ok = (description: string) => ({ 200: { description } });
  const roleOf = (res: Parameters<typeof currentOperator>[0]): ControllerRole => {
    const role = currentOperator(res).role;
    if (role === "auditor") throw new DomainError({ code: "auth.forbidden", status: 403, title: "Forbidden" });
    return role;
  };

  defineRoute(router, registry, { method: "post", path: "/v1/cards", summary: "Propose issuing a card (the other role approves)", tags, guard: controllers, secured: true, body: issueCardBody, responses: { 202: { description: "Proposed" } } }, async ({ body, res }) => ({
    status: 202,
    body: await ops.proposeCardIssue(roleOf(res), body),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/cards/:cardId/replacement", summary: "Propose replacing a lost card (dual control)", tags, guard: controllers, secured: true, params: cardParams, body: replaceCardBody, responses: { 202: { description: "Proposed" } } }, async ({ params, body, res }) => ({
    status: 202,
    body: await ops.proposeCardReplacement(roleOf(res), params.cardId, body.newKey),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/cards/:cardId/status", summary: "Freeze, unfreeze or close a card", tags, guard: bank, secured: true, params: cardParams, body: cardStatusBody, responses: { 204: { description: "Done" } } }, async ({ params, body }) => {
    await ops.setCardStatus(params.cardId, body.action);
    return { status: 204 };
  });

  defineRoute(router, registry, { method: "delete", path: "/v1/cards/:cardId/identity", summary: "Propose erasing the holder's personal data (dual control: crypto-shredded once the other institution approves)", tags, guard: controllers, secured: true, params: cardParams, responses: { 202: { description: "Proposed" } } }, async ({ params, res }) => ({
    status: 202,
    body: await ops.proposeIdentityErasure(roleOf(res), params.cardId),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/cards/:cardId/corrections", summary: "Propose voiding points with a reason code (dual control)", tags, guard: controllers, secured: true, params: cardParams, body: voidPointsBody, responses: { 202: { description: "Proposed" } } }, async ({ params, body, res }) => ({
    status: 202,
    body: await ops.proposeVoidPoints(roleOf(res), { ...body, cardId: params.cardId, merchantId: BigInt(body.merchantId) }),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/proposals/:target", summary: "Recent proposals, newest first", tags, guard: controllers, secured: true, params: targetParams, responses: ok("Proposals") }, async ({ params }) => ({
    status: 200,
    body: { proposals: await ops.listProposals(params.target) },
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/proposals/:target/:id", summary: "One proposal with its decoded action", tags, guard: controllers, secured: true, params: proposalParams, responses: ok("The proposal") }, async ({ params }) => ({
    status: 200,
    body: await ops.proposal(params.target, BigInt(params.id)),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/proposals/:target/:id/approval", summary: "Approve a proposal of the other role (runs it)", tags, guard: controllers, secured: true, params: proposalParams, responses: ok("Executed") }, async ({ params, res }) => ({
    status: 200,
    body: await ops.approve(roleOf(res), params.target, BigInt(params.id)),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/proposals/:target/:id/cancellation", summary: "Withdraw or reject a pending proposal", tags, guard: controllers, secured: true, params: proposalParams, responses: ok("Cancelled") }, async ({ params, res }) => ({
    status: 200,
    body: await ops.cancel(roleOf(res), params.target, BigInt(params.id)),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/merchants", summary: "Register a merchant bound to its merchant card", tags, guard: bank, secured: true, body: registerMerchantBody, responses: { 201: { description: "Registered" } } }, async ({ body }) => ({
    status: 201,
    body: await ops.registerMerchant(body.cardId),
  }));

  defineRoute(router, registry, { method: "put", path: "/v1/merchants/:merchantId/active", summary: "Suspend or resume a merchant", tags, guard: bank, secured: true, params: merchantParams, body: activeBody, responses: { 204: { description: "Done" } } }, async ({ params, body }) => {
    await ops.setMerchantActive(params.merchantId, body.active);
    return { status: 204 };
  });

  defineRoute(router, registry, { method: "put", path: "/v1/merchants/:merchantId/agreement", summary: "Set a new version of the merchant's points agreement", tags, guard: bank, secured: true, params: merchantParams, body: agreementBody, responses: ok("The new version") }, async ({ params, body }) => {
    if (body.validFrom >= body.validUntil) {
      throw new DomainError({ code: "agreement.invalid_validity", status: 400, title: "Invalid agreement", detail: "validFrom must precede validUntil" });
    }
    const categoryMultipliers = packMultipliers(body.categoryMultipliers);
    if (!categoryRatesBounded(BigInt(body.baseRateBps), categoryMultipliers)) {
      throw new DomainError({
        code: "agreement.rate_above_maximum",
        status: 400,
        title: "Invalid agreement",
        detail: `no category's rate (baseRateBps x multiplier / 100) may pass ${MAX_BASE_RATE_BPS} bps`,
      });
    }
    const currency = body.currency.startsWith("0x") ? body.currency : currencyCode(body.currency);
    return { status: 200, body: await ops.setAgreement(params.merchantId, { ...body, currency, categoryMultipliers }) };
  });

  defineRoute(router, registry, { method: "post", path: "/v1/terminals", summary: "Register a terminal key for a merchant", tags, guard: bank, secured: true, body: registerTerminalBody, responses: { 201: { description: "Registered" } } }, async ({ body }) => {
    await ops.registerTerminal(body.terminal, body.merchantId);
    return { status: 201, body: { terminal: body.terminal, merchantId: body.merchantId } };
  });

  defineRoute(router, registry, { method: "put", path: "/v1/terminals/:terminal/enabled", summary: "Enable or disable a terminal", tags, guard: bank, secured: true, params: terminalParams, body: enabledBody, responses: { 204: { description: "Done" } } }, async ({ params, body }) => {
    await ops.setTerminalEnabled(params.terminal, body.enabled);
    return { status: 204 };
  });

  defineRoute(router, registry, { method: "put", path: "/v1/credit-point-rule", summary: "Set the rule turning granted points into merchant credit points", tags, guard: bank, secured: true, body: creditRuleBody, responses: ok("The new version") }, async ({ body }) => ({
    status: 200,
    body: await ops.setCreditPointRule(body.rateBps),
  }));

  defineRoute(router, registry, { method: "put", path: "/v1/ledger/paused", summary: "Emergency pause (or resume) of the ledger", tags, guard: bank, secured: true, body: pausedBody, responses: { 204: { description: "Done" } } }, async ({ body }) => {
    await ops.setPaused(body.paused);
    return { status: 204 };
  });

  return router;
}
