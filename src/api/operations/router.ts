/**
 * Operator endpoints (a passkey session, ADR 0001 section 10): the reads of proposals, and one
 * endpoint per decision an operator may ask for (card issuance, replacement, status and identity
 * erasure, corrections, merchants, terminals, agreements, the credit-point rule, the emergency
 * pause, approving and cancelling proposals). The gateway signs none of them: each endpoint checks
 * its request and answers the same DecisionDraft as POST /v1/decisions/drafts, which the operator
 * signs with their own credential and submits to POST /v1/decisions. The contracts decide who may
 * perform a step; the session's institution only scopes what the gateway drafts for whom.
 */
import { Router } from "express";
import { randomBytes } from "node:crypto";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { defineRoute } from "../route";
import { currentSession, requireInstitution, requireSession } from "../operator-session/router";
import type { OperatorSessions } from "../operator-session/service";
import type { OperationsService } from "./service";
import type { DecisionsService } from "../decisions/service";
import type { Corrections } from "./corrections";
import { decisionDraftSchema } from "../decisions/schemas";
import { INSTITUTION_ROLES } from "../operator-session/service";
import { categoryRatesBounded, currencyCode, MAX_BASE_RATE_BPS, packMultipliers } from "../../domain/points";
import { DomainError } from "../../domain/domain-error";
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
  proposalListSchema,
  proposalParams,
  proposalSchema,
  registerMerchantBody,
  registerTerminalBody,
  replaceCardBody,
  targetParams,
  terminalParams,
  voidPointsBody,
} from "./schemas";

/** The answer of every decision endpoint: a draft to sign and submit to POST /v1/decisions. */
export const DRAFTED = { 200: { description: "The decision's draft: sign its challenge with your credential and submit it to POST /v1/decisions", schema: decisionDraftSchema } };

const CARD_STATUS_FUNCTIONS = { freeze: "freezeCard", unfreeze: "unfreezeCard", close: "closeCard" } as const;

export function operationRoutes(registry: OpenAPIRegistry, sessions: OperatorSessions, ops: OperationsService, decisions: DecisionsService, corrections: Corrections): Router {
  const router = Router();
  const operators = requireSession(sessions);
  const bank = requireInstitution(sessions, "bank");
  const tags = ["operators"];
  const draftNote = " Answers a draft for POST /v1/decisions.";

  defineRoute(router, registry, { method: "post", path: "/v1/cards", summary: "Draft a proposal to issue a card (the other institution approves). The holder's identity is stored encrypted off chain; its commitment goes in the call." + draftNote, tags, guard: operators, secured: true, body: issueCardBody, responses: DRAFTED }, async ({ body }) => ({
    status: 200,
    body: await decisions.draft({ kind: "propose", target: "registry", function: "issueCard", args: { kind: body.kind, key: body.key, holder: body.holder } }),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/cards/:cardId/replacement", summary: "Draft a proposal to replace a lost card by a new card ID and key (dual control)." + draftNote, tags, guard: operators, secured: true, params: cardParams, body: replaceCardBody, responses: DRAFTED }, async ({ params, body }) => {
    await ops.existingCard(params.cardId);
    const newCardId = "0x" + randomBytes(32).toString("hex");
    return { status: 200, body: await decisions.draft({ kind: "propose", target: "registry", function: "replaceCard", args: { oldCardId: params.cardId, newCardId, newKey: body.newKey } }) };
  });

  defineRoute(router, registry, { method: "post", path: "/v1/cards/:cardId/status", summary: "Draft the bank's act freezing, unfreezing or closing a card." + draftNote, tags, guard: bank, secured: true, params: cardParams, body: cardStatusBody, responses: DRAFTED }, async ({ params, body }) => {
    await ops.existingCard(params.cardId);
    return { status: 200, body: await decisions.draft({ kind: "act", target: "registry", function: CARD_STATUS_FUNCTIONS[body.action], args: { cardId: params.cardId } }) };
  });

  defineRoute(router, registry, { method: "delete", path: "/v1/cards/:cardId/identity", summary: "Draft a proposal to erase the holder's personal data (dual control: crypto-shredded once the other institution approves)." + draftNote, tags, guard: operators, secured: true, params: cardParams, responses: DRAFTED }, async ({ params }) => {
    await ops.existingIdentity(params.cardId);
    return { status: 200, body: await decisions.draft({ kind: "propose", target: "registry", function: "recordIdentityErasure", args: { cardId: params.cardId } }) };
  });

  defineRoute(router, registry, { method: "post", path: "/v1/cards/:cardId/corrections", summary: "Draft a proposal to void points with a reason code (dual control). A correction naming an order voids at most what the order has left un-reversed (422 correction.exceeds_order; correction.order_unknown if no settlement of it is confirmed)." + draftNote, tags, guard: operators, secured: true, params: cardParams, body: voidPointsBody, responses: DRAFTED }, async ({ params, body }) => {
    await ops.existingCard(params.cardId);
    const args = await corrections.args(params.cardId, body);
    return { status: 200, body: await decisions.draft({ kind: "propose", target: "ledger", function: "voidPoints", args }) };
  });

  defineRoute(router, registry, { method: "get", path: "/v1/proposals/:target", summary: "Recent proposals, newest first", tags, guard: operators, secured: true, params: targetParams, responses: { 200: { description: "Proposals", schema: proposalListSchema } } }, async ({ params }) => ({
    status: 200,
    body: { proposals: await ops.listProposals(params.target) },
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/proposals/:target/:id", summary: "One proposal with its decoded action", tags, guard: operators, secured: true, params: proposalParams, responses: { 200: { description: "The proposal", schema: proposalSchema } } }, async ({ params }) => ({
    status: 200,
    body: await ops.proposal(params.target, BigInt(params.id)),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/proposals/:target/:id/approval", summary: "Draft the approval of a pending proposal of the other institution (runs it)." + draftNote, tags, guard: operators, secured: true, params: proposalParams, responses: DRAFTED }, async ({ params }) => ({
    status: 200,
    body: await decisions.draft({ kind: "approve", target: params.target, proposalId: BigInt(params.id).toString() }),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/proposals/:target/:id/cancellation", summary: "Draft the cancellation of a pending proposal: a withdrawal by the proposer's institution, a rejection by the other." + draftNote, tags, guard: operators, secured: true, params: proposalParams, responses: DRAFTED }, async ({ params, res }) => {
    const proposal = await ops.proposal(params.target, BigInt(params.id));
    const own = proposal.proposerRole === INSTITUTION_ROLES[currentSession(res).institution];
    return { status: 200, body: await decisions.draft({ kind: own ? "withdraw" : "reject", target: params.target, proposalId: proposal.id }) };
  });

  defineRoute(router, registry, { method: "post", path: "/v1/merchants", summary: "Draft the bank's act registering a merchant bound to its merchant card (the new merchantId is in the MerchantRegistered event of the decision's result)." + draftNote, tags, guard: bank, secured: true, body: registerMerchantBody, responses: DRAFTED }, async ({ body }) => ({
    status: 200,
    body: await decisions.draft({ kind: "act", target: "registry", function: "registerMerchant", args: { merchantCardId: body.cardId } }),
  }));

  defineRoute(router, registry, { method: "put", path: "/v1/merchants/:merchantId/active", summary: "Draft the bank's act suspending or resuming a merchant." + draftNote, tags, guard: bank, secured: true, params: merchantParams, body: activeBody, responses: DRAFTED }, async ({ params, body }) => ({
    status: 200,
    body: await decisions.draft({ kind: "act", target: "registry", function: "setMerchantActive", args: { merchantId: params.merchantId, active: body.active } }),
  }));

  defineRoute(router, registry, { method: "put", path: "/v1/merchants/:merchantId/agreement", summary: "Draft the bank's act setting a new version of the merchant's points agreement (the version is in the AgreementSet event)." + draftNote, tags, guard: bank, secured: true, params: merchantParams, body: agreementBody, responses: DRAFTED }, async ({ params, body }) => {
    if (body.validFrom >= body.validUntil) {
      throw new DomainError({ code: "agreement.invalid_validity", detail: "validFrom must precede validUntil" });
    }
    const categoryMultipliers = packMultipliers(body.categoryMultipliers);
    if (!categoryRatesBounded(BigInt(body.baseRateBps), categoryMultipliers)) {
      throw new DomainError({
        code: "agreement.rate_above_maximum",
        detail: `no category's rate (baseRateBps x multiplier / 100) may pass ${MAX_BASE_RATE_BPS} bps`,
      });
    }
    const currency = body.currency.startsWith("0x") ? body.currency : currencyCode(body.currency);
    const terms = { ...body, currency, categoryMultipliers };
    return { status: 200, body: await decisions.draft({ kind: "act", target: "registry", function: "setAgreement", args: { merchantId: params.merchantId, terms } }) };
  });

  defineRoute(router, registry, { method: "post", path: "/v1/terminals", summary: "Draft the bank's act registering a terminal key for a merchant." + draftNote, tags, guard: bank, secured: true, body: registerTerminalBody, responses: DRAFTED }, async ({ body }) => ({
    status: 200,
    body: await decisions.draft({ kind: "act", target: "registry", function: "registerTerminal", args: { terminalKey: body.terminal, merchantId: body.merchantId } }),
  }));

  defineRoute(router, registry, { method: "put", path: "/v1/terminals/:terminal/enabled", summary: "Draft the bank's act enabling or disabling a terminal." + draftNote, tags, guard: bank, secured: true, params: terminalParams, body: enabledBody, responses: DRAFTED }, async ({ params, body }) => ({
    status: 200,
    body: await decisions.draft({ kind: "act", target: "registry", function: "setTerminalEnabled", args: { terminalKey: params.terminal, enabled: body.enabled } }),
  }));

  defineRoute(router, registry, { method: "put", path: "/v1/credit-point-rule", summary: "Draft the bank's act setting the rule turning granted points into merchant credit points (the version is in the CreditPointRuleSet event)." + draftNote, tags, guard: bank, secured: true, body: creditRuleBody, responses: DRAFTED }, async ({ body }) => ({
    status: 200,
    body: await decisions.draft({ kind: "act", target: "registry", function: "setCreditPointRule", args: { rateBps: body.rateBps } }),
  }));

  defineRoute(router, registry, { method: "put", path: "/v1/ledger/paused", summary: "Draft the bank's act pausing (or resuming) the ledger in an emergency." + draftNote, tags, guard: bank, secured: true, body: pausedBody, responses: DRAFTED }, async ({ body }) => ({
    status: 200,
    body: await decisions.draft({ kind: "act", target: "ledger", function: body.paused ? "pause" : "unpause", args: {} }),
  }));

  return router;
}
