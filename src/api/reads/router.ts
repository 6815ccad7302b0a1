/** Read endpoints: ledger info (public: terminals need the signing domain), cards and merchants (a passkey session of either institution). */
import { Router } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { defineRoute } from "../route";
import { requireSession } from "../operator-session/router";
import type { OperatorSessions } from "../operator-session/service";
import type { ReadService } from "./service";
import { cardParams, historyQuery, merchantParams } from "../operations/schemas";
import { cardHistorySchema, cardSchema, infoSchema, merchantSchema } from "./schemas";

export function readRoutes(registry: OpenAPIRegistry, sessions: OperatorSessions, reads: ReadService): Router {
  const router = Router();
  const operators = requireSession(sessions);
  const tags = ["reads"];

  defineRoute(router, registry, { method: "get", path: "/v1/info", summary: "Chain, contract addresses and the EIP-712 domain terminals sign in", tags, responses: { 200: { description: "Info", schema: infoSchema } } }, async () => ({
    status: 200,
    body: reads.info(),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/cards/:cardId", summary: "A card: status, points and statistics", tags, guard: operators, secured: true, params: cardParams, responses: { 200: { description: "The card", schema: cardSchema } } }, async ({ params }) => ({
    status: 200,
    body: await reads.card(params.cardId),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/cards/:cardId/history", summary: "A card's points movements, one block page at a time", tags, guard: operators, secured: true, params: cardParams, query: historyQuery, responses: { 200: { description: "Movements", schema: cardHistorySchema } } }, async ({ params, query }) => ({
    status: 200,
    body: await reads.history(params.cardId, query.before),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/merchants/:merchantId", summary: "A merchant: agreement, credit points and totals", tags, guard: operators, secured: true, params: merchantParams, responses: { 200: { description: "The merchant", schema: merchantSchema } } }, async ({ params }) => ({
    status: 200,
    body: await reads.merchant(params.merchantId),
  }));

  return router;
}
