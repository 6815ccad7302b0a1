/**
 * Read endpoints: ledger info (public: terminals need the signing domain); cards, merchants,
 * their lists and the ledger's state (a passkey session of either institution). Histories and
 * lists come from the read index, one cursor page at a time (ADR 0008).
 */
import { Router } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { defineRoute } from "../route";
import { requireSession } from "../operator-session/router";
import type { OperatorSessions } from "../operator-session/service";
import type { ReadService } from "./service";
import type { ListService } from "./lists";
import { cardListQuery, cardListSchema, historySchema, ledgerStateSchema, merchantListQuery, merchantListSchema, terminalListQuery, terminalListSchema } from "./schemas";
import { cardParams, historyQuery, merchantParams } from "../operations/schemas";
import { cardSchema, infoSchema, merchantSchema } from "./schemas";

export function readRoutes(registry: OpenAPIRegistry, sessions: OperatorSessions, reads: ReadService, lists: ListService): Router {
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

  defineRoute(router, registry, { method: "get", path: "/v1/cards/:cardId/history", summary: "The points movements of a card's account (its earlier cards' too), newest first, one cursor page at a time from the read index", tags, guard: operators, secured: true, params: cardParams, query: historyQuery, responses: { 200: { description: "Movements", schema: historySchema } } }, async ({ params, query }) => ({
    status: 200,
    body: await reads.history(params.cardId, query.before),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/merchants/:merchantId", summary: "A merchant: agreement, credit points and totals", tags, guard: operators, secured: true, params: merchantParams, responses: { 200: { description: "The merchant", schema: merchantSchema } } }, async ({ params }) => ({
    status: 200,
    body: await reads.merchant(params.merchantId),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/cards", summary: "Cards, by status, kind or merchant served, in card ID order, one cursor page at a time", tags, guard: operators, secured: true, query: cardListQuery, responses: { 200: { description: "Cards", schema: cardListSchema } } }, async ({ query }) => ({
    status: 200,
    body: await lists.cards(query),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/merchants", summary: "Merchants, active or suspended, in ID order, one cursor page at a time", tags, guard: operators, secured: true, query: merchantListQuery, responses: { 200: { description: "Merchants", schema: merchantListSchema } } }, async ({ query }) => ({
    status: 200,
    body: await lists.merchants(query),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/merchants/:merchantId/terminals", summary: "A merchant's terminals and whether each is enabled, one cursor page at a time", tags, guard: operators, secured: true, params: merchantParams, query: terminalListQuery, responses: { 200: { description: "Terminals", schema: terminalListSchema }, 404: { description: "merchant.unknown" } } }, async ({ params, query }) => ({
    status: 200,
    body: await lists.terminals(params.merchantId, query),
  }));

  defineRoute(router, registry, { method: "get", path: "/v1/ledger", summary: "Whether the ledger is paused, the chain's head and how far the read index has got", tags, guard: operators, secured: true, responses: { 200: { description: "The ledger's state", schema: ledgerStateSchema } } }, async () => ({
    status: 200,
    body: await lists.ledger(),
  }));

  return router;
}
