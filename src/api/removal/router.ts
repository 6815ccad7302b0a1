/**
 * Removing operator credentials: POST /v1/operators/:credentialId/removal drafts the Remove step,
 * GET /v1/operators/removals/:draftId shows it to a co-signer, POST
 * /v1/operators/removals/:draftId/signatures collects its signatures and relays it. All take a
 * session of the removed credential's institution.
 */
import { Router } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { defineRoute } from "../route";
import { currentSession, requireSession } from "../operator-session/router";
import type { OperatorSessions } from "../operator-session/service";
import { credentialIdSchema, institutionSchema } from "../operator-session/schemas";
import { issuedId } from "../schemas";
import { signatureBody } from "../enrolment/router";
import { stepSchema } from "../decisions/schemas";
import type { RemovalService } from "./service";

const removalParams = z.object({ credentialId: credentialIdSchema });
const draftParams = z.object({ draftId: issuedId });
/** As an enrolment's signature, but always a credential's: a removal is never signed by a code. */
const removalSignatureBody = signatureBody.extend({ credentialId: credentialIdSchema });

export const removalDraftSchema = z
  .object({
    draftId: z.string(),
    credentialId: credentialIdSchema,
    institution: institutionSchema,
    operatorId: z.string().openapi({ description: "The removed credential's operator: one signature of theirs suffices" }),
    step: stepSchema,
    digest: z.string(),
    challenge: z.string().openapi({ description: "base64url(digest): the WebAuthn challenge of an operator's assertion" }),
    othersNeeded: z.number().int().openapi({ description: "Signatures of other operators that remove it instead (2, or 1 while the institution has two operators)" }),
    signedBy: z.array(credentialIdSchema).openapi({ description: "Credentials whose signatures the draft holds so far" }),
  })
  .openapi("RemovalDraft");

const removalResult = z
  .object({
    status: z.enum(["awaiting_signatures", "removed"]),
    credentialId: credentialIdSchema,
    transactionHash: z.string().optional(),
  })
  .openapi("RemovalResult");

export function removalRoutes(registry: OpenAPIRegistry, removal: RemovalService, sessions: OperatorSessions): Router {
  const router = Router();
  const tags = ["operators"];
  const guard = requireSession(sessions);

  defineRoute(
    router,
    registry,
    {
      method: "post",
      path: "/v1/operators/:credentialId/removal",
      summary: "Draft the removal of a credential of the signed-in operator's institution",
      tags,
      guard,
      secured: true,
      params: removalParams,
      responses: {
        200: { description: "The draft to sign", schema: removalDraftSchema },
        403: { description: "removal.wrong_institution" },
        404: { description: "removal.credential_unknown" },
        409: { description: "removal.credential_not_active, removal.last_credential" },
      },
    },
    async ({ params, res }) => ({ status: 200, body: await removal.draft(currentSession(res), params.credentialId) }),
  );

  defineRoute(
    router,
    registry,
    {
      method: "get",
      path: "/v1/operators/removals/:draftId",
      summary: "A removal draft of the signed-in operator's institution, for another operator to sign",
      tags,
      guard,
      secured: true,
      params: draftParams,
      responses: { 200: { description: "The draft", schema: removalDraftSchema }, 404: { description: "removal.draft_unknown" } },
    },
    async ({ params, res }) => ({ status: 200, body: await removal.show(currentSession(res), params.draftId) }),
  );

  defineRoute(
    router,
    registry,
    {
      method: "post",
      path: "/v1/operators/removals/:draftId/signatures",
      summary: "Sign a removal draft; relayed once the signatures make the contract's quorum",
      tags,
      guard,
      secured: true,
      params: draftParams,
      body: removalSignatureBody,
      responses: {
        200: { description: "Status", schema: removalResult },
        404: { description: "removal.draft_unknown" },
        409: { description: "removal.credential_not_active, operator_step.already_used" },
        422: { description: "operator_step.* (the contract refused the signature), enrolment.quorum_not_met, enrolment.duplicate_operator" },
      },
    },
    async ({ params, body, res }) => ({ status: 200, body: await removal.sign(currentSession(res), params.draftId, body) }),
  );

  return router;
}
