/**
 * Credit-center endpoints (a passkey session). Reads (a card's score, eligibility and grant; the
 * paged export; the policy) for operators of either institution; decisions drafted for the
 * operator to sign and submit to POST /v1/decisions: grant, decrease, revoke and unfreeze
 * proposals and policy proposals (approved or rejected by the other institution at
 * /v1/proposals/credit/:id/approval|cancellation), the single-institution emergency freeze and
 * its confirmation by the other institution.
 */
import { Router } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { defineRoute } from "../route";
import { requireSession } from "../operator-session/router";
import type { OperatorSessions } from "../operator-session/service";
import type { DecisionsService } from "../decisions/service";
import { DRAFTED } from "../operations/router";
import type { CreditService } from "./service";
import {
  creditCardParams,
  creditLineSchema,
  creditPolicySchema,
  creditProposalBody,
  policyBody,
  policyKindParams,
  scoresPageSchema,
  scoresQuery,
} from "./schemas";

export function creditRoutes(registry: OpenAPIRegistry, sessions: OperatorSessions, credit: CreditService, decisions: DecisionsService): Router {
  const router = Router();
  const operators = requireSession(sessions);
  const tags = ["credit"];
  const draftNote = " Answers a draft for POST /v1/decisions.";

  defineRoute(router, registry, { method: "get", path: "/v1/credit/cards/:cardId", summary: "A card's score, eligible limit and current grant", tags, guard: operators, secured: true, params: creditCardParams, responses: { 200: { description: "The credit line", schema: creditLineSchema } } }, async ({ params }) => ({
    status: 200,
    body: await credit.card(params.cardId),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/credit/scores", summary: "Every account's credit line, one page of accounts at a time (for exports)", tags, guard: operators, secured: true, query: scoresQuery, responses: { 200: { description: "A page; `next` is the next page's `from`, null after the last", schema: scoresPageSchema } } }, async ({ query }) => ({
    status: 200,
    body: await credit.page(query.from, query.limit),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/credit/policy", summary: "The credit-limit policy: tiers per card kind and its version", tags, guard: operators, secured: true, responses: { 200: { description: "The policy", schema: creditPolicySchema } } }, async () => ({
    status: 200,
    body: await credit.policy(),
  }));

  defineRoute(router, registry, { method: "put", path: "/v1/credit/policy/:kind", summary: "Draft a proposal of new tiers for consumer or merchant cards (dual control)." + draftNote, tags, guard: operators, secured: true, params: policyKindParams, body: policyBody, responses: DRAFTED }, async ({ params, body }) => ({
    status: 200,
    body: await decisions.draft({ kind: "propose", target: "credit", ...credit.policyCall(params.kind, body.tiers) }),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/credit/cards/:cardId/proposals", summary: "Draft a proposal granting, decreasing, revoking or unfreezing a card's credit (dual control)." + draftNote, tags, guard: operators, secured: true, params: creditCardParams, body: creditProposalBody, responses: DRAFTED }, async ({ params, body }) => ({
    status: 200,
    body: await decisions.draft({ kind: "propose", target: "credit", ...(await credit.proposalCall(params.cardId, body)) }),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/credit/cards/:cardId/freeze", summary: "Draft an emergency freeze of a card's credit grant (an act of either institution alone; it lapses unless the other confirms it)." + draftNote, tags, guard: operators, secured: true, params: creditCardParams, responses: DRAFTED }, async ({ params }) => {
    await credit.existingCard(params.cardId);
    return { status: 200, body: await decisions.draft({ kind: "act", target: "credit", function: "freezeCredit", args: { cardId: params.cardId } }) };
  });

  defineRoute(router, registry, { method: "post", path: "/v1/credit/cards/:cardId/freeze/confirmation", summary: "Draft the confirmation of the other institution's freeze of a card's credit grant (it then holds until unfrozen by dual control)." + draftNote, tags, guard: operators, secured: true, params: creditCardParams, responses: DRAFTED }, async ({ params }) => {
    await credit.existingCard(params.cardId);
    return { status: 200, body: await decisions.draft({ kind: "confirm", target: "credit", cardId: params.cardId }) };
  });

  return router;
}
