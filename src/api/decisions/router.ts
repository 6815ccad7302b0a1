/** Relayed decisions: POST /v1/decisions/drafts and POST /v1/decisions (a session is required). */
import { Router } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { defineRoute } from "../route";
import { requireSession } from "../operator-session/router";
import type { OperatorSessions } from "../operator-session/service";
import type { DecisionsService } from "./service";
import { decisionDraftSchema, decisionResultSchema, draftBody, submitBody } from "./schemas";

export function decisionRoutes(registry: OpenAPIRegistry, decisions: DecisionsService, sessions: OperatorSessions): Router {
  const router = Router();
  const tags = ["decisions"];
  const guard = requireSession(sessions);

  defineRoute(router, registry, { method: "post", path: "/v1/decisions/drafts", summary: "Draft a decision's step for the operator to sign", tags, guard, secured: true, body: draftBody, responses: { 200: { description: "The draft", schema: decisionDraftSchema } } }, async ({ body }) => ({
    status: 200,
    body: await decisions.draft(body),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/decisions", summary: "Relay a drafted decision with the credential's signature", tags, guard, secured: true, body: submitBody, responses: { 200: { description: "Relayed", schema: decisionResultSchema } } }, async ({ body }) => ({
    status: 200,
    body: await decisions.submit(body.draftId, body),
  }));

  return router;
}
