/**
 * Enrolment of operator passkeys: GET /v1/enrolment (public), POST /v1/enrolment/options,
 * POST /v1/enrolment/drafts, POST /v1/enrolment/drafts/:draftId/signatures.
 */
import { Router } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { defineRoute } from "../route";
import { sessionToken } from "../operator-session/router";
import type { OperatorSessions } from "../operator-session/service";
import { authenticationResponseSchema, challengeSchema, credentialIdSchema, institutionSchema, registrationResponseSchema } from "../operator-session/schemas";
import type { EnrolmentService } from "./service";
import { stepSchema } from "../decisions/schemas";
import { issuedId } from "../schemas";

const institutionStatus = z.object({ credentials: z.number().int(), codeOpen: z.boolean() });
const enrolmentStatus = z.object({ institutions: z.object({ bank: institutionStatus, credit_center: institutionStatus }) }).openapi("EnrolmentStatus");

const optionsBody = z.object({ institution: institutionSchema, operatorLabel: z.string().min(1).max(64) });
const draftBody = z.object({ challengeId: issuedId, response: registrationResponseSchema });
const draftParams = z.object({ draftId: issuedId });
export const signatureBody = z.object({
  credentialId: credentialIdSchema.optional(),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be 65 bytes of 0x-hex").optional(),
  assertion: authenticationResponseSchema.optional(),
});

export const enrolmentDraftSchema = z
  .object({
    draftId: z.string(),
    institution: institutionSchema,
    operatorId: z.string(),
    key: z.object({ qx: z.string(), qy: z.string() }),
    step: stepSchema,
    digest: z.string(),
    challenge: z.string().openapi({ description: "base64url(digest): the WebAuthn challenge of an operator's assertion" }),
    method: z.enum(["code", "operators"]),
    signaturesNeeded: z.number().int(),
  })
  .openapi("EnrolmentDraft");

export function enrolmentRoutes(registry: OpenAPIRegistry, enrolment: EnrolmentService, sessions: OperatorSessions): Router {
  const router = Router();
  const tags = ["enrolment"];

  defineRoute(router, registry, { method: "get", path: "/v1/enrolment", summary: "Each institution's credentials and whether its enrolment code is open", tags, responses: { 200: { description: "Status", schema: enrolmentStatus } } }, async () => ({
    status: 200,
    body: await enrolment.status(),
  }));

  defineRoute(router, registry, { method: "post", path: "/v1/enrolment/options", summary: "Passkey creation options for a new operator credential (public while the code is open, else a session of the institution)", tags, body: optionsBody, responses: { 200: { description: "WebAuthn creation options", schema: challengeSchema } } }, async ({ body, req }) => {
    const token = sessionToken(req);
    const session = token ? await sessions.resolve(token) : undefined;
    return { status: 200, body: await enrolment.options(body.institution, body.operatorLabel, session) };
  });

  defineRoute(router, registry, { method: "post", path: "/v1/enrolment/drafts", summary: "Verify the new passkey and draft the step that enrols it", tags, body: draftBody, responses: { 200: { description: "The draft to sign", schema: enrolmentDraftSchema } } }, async ({ body }) => ({
    status: 200,
    body: await enrolment.draft(body.challengeId, body.response),
  }));

  const signatureResult = z.object({ status: z.enum(["awaiting_signatures", "enrolled"]), credentialId: credentialIdSchema.optional() });
  defineRoute(router, registry, { method: "post", path: "/v1/enrolment/drafts/:draftId/signatures", summary: "Sign an enrolment draft (the code's key, or an operator); relayed once enough have signed", tags, params: draftParams, body: signatureBody, responses: { 200: { description: "Status", schema: signatureResult } } }, async ({ params, body }) => ({
    status: 200,
    body: await enrolment.sign(params.draftId, body),
  }));

  return router;
}
