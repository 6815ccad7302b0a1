/**
 * Credit-center endpoints (bearer token). Reads (a card's score, eligibility and grant; the
 * paged export; the policy) for every operator role; changes for the bank and the credit
 * center: grant, decrease, revoke and unfreeze proposals and policy proposals (approved or
 * rejected by the other role at /v1/proposals/credit/:id/approval|cancellation) and the
 * single-institution emergency freeze and its confirmation by the other institution.
 */
import { Router } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { defineRoute } from "../route";
import { currentOperator, type Auth } from "../../auth";
import { DomainError } from "../../http/problem";
import type { ControllerRole } from "../operations/service";
import type { CreditService } from "./service";
import {
  creditCardParams,
  creditLineSchema,
  creditProposalBody,
  policyBody,
  policyKindParams,
  proposedSchema,
  scoresPageSchema,
  scoresQuery,
} from "./schemas";

export function creditRoutes(registry: OpenAPIRegistry, auth: Auth, credit: CreditService): Router {
  const router = Router();
  const operators = auth.requireRole("bank", "credit_center", "auditor");
  const controllers = auth.requireRole("bank", "credit_center");
  const tags = ["credit"];
  const roleOf = (res: Parameters<typeof currentOperator>[0]): ControllerRole => {
    const role = currentOperator(res).role;
    if (role === "auditor") throw new DomainError({ code: "auth.forbidden", status: 403, title: "Forbidden" });
    return role;
  };
  const proposed = { 202: { description: "Proposed: the other role approves it", schema: proposedSchema } };

  defineRoute(router, registry, { method: "get", path: "/v1/credit/cards/:cardId", summary: "A card's score, eligible limit and current grant", tags, guard: operators, secured: true, params: creditCardParams, responses: { 200: { description: "The credit line", schema: creditLineSchema } } }, async ({ params }) => ({
    status: 200,
    body: await credit.card(params.cardId),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/credit/scores", summary: "Every account's credit line, one page of accounts at a time (for exports)", tags, guard: operators, secured: true, query: scoresQuery, responses: { 200: { description: "A page; `next` is the next page's `from`, null after the last", schema: scoresPageSchema } } }, async ({ query }) => ({
    status: 200,
    body: await credit.page(query.from, query.limit),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/credit/policy", summary: "The credit-limit policy: tiers per card kind and its version", tags, guard: operators, secured: true, responses: { 200: { description: "The policy" } } }, async () => ({
    status: 200,
    body: await credit.policy(),
  }));

  defineRoute(router, registry, { method: "put", path: "/v1/credit/policy/:kind", summary: "Propose new tiers for consumer or merchant cards (dual control)", tags, guard: controllers, secured: true, params: policyKindParams, body: policyBody, responses: proposed }, async ({ params, body, res }) => ({
    status: 202,
    body: await credit.proposePolicy(roleOf(res), params.kind, body.tiers),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/credit/cards/:cardId/proposals", summary: "Propose granting, decreasing, revoking or unfreezing a card's credit (dual control)", tags, guard: controllers, secured: true, params: creditCardParams, body: creditProposalBody, responses: proposed }, async ({ params, body, res }) => ({
    status: 202,
    body: await credit.propose(roleOf(res), params.cardId, body),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/credit/cards/:cardId/freeze", summary: "Emergency freeze of a card's credit grant (either institution alone; lapses unless the other confirms)", tags, guard: controllers, secured: true, params: creditCardParams, responses: { 200: { description: "The frozen credit line", schema: creditLineSchema } } }, async ({ params, res }) => ({
    status: 200,
    body: await credit.freeze(roleOf(res), params.cardId),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/credit/cards/:cardId/freeze/confirmation", summary: "Confirm the other institution's freeze of a card's credit grant (it then holds until unfrozen)", tags, guard: controllers, secured: true, params: creditCardParams, responses: { 200: { description: "The frozen credit line", schema: creditLineSchema } } }, async ({ params, res }) => ({
    status: 200,
    body: await credit.confirmFreeze(roleOf(res), params.cardId),
  }));

  return router;
}
