/**
 * Wire schemas of passkey sign-in, enrolment and decisions shared by their routes: the browser's
 * WebAuthn JSON (as @simplewebauthn/browser produces it) and the signed-in `Operator`.
 */
import { z } from "zod";
import { issuedId } from "../schemas";

const base64url = z.string().max(65_536).regex(/^[A-Za-z0-9_-]*$/, "must be base64url");

export const institutions = ["bank", "credit_center"] as const;
export const institutionSchema = z.enum(institutions);
export type Institution = (typeof institutions)[number];

/** A decimal string of a uint64 (credential IDs). */
export const credentialIdSchema = z.string().regex(/^[1-9]\d{0,19}$/, "must be a credential ID (decimal)");

/** A PublicKeyCredential as JSON (WebAuthn's toJSON), around the authenticator's `response`. */
const publicKeyCredential = <R extends z.ZodRawShape>(response: R) =>
  z.object({
    id: base64url,
    rawId: base64url,
    type: z.literal("public-key"),
    response: z.object(response),
    clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
    authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  });

export const authenticationResponseSchema = publicKeyCredential({
  clientDataJSON: base64url,
  authenticatorData: base64url,
  signature: base64url,
  userHandle: base64url.optional(),
}).openapi("AuthenticationResponseJSON");

export const registrationResponseSchema = publicKeyCredential({
  clientDataJSON: base64url,
  attestationObject: base64url,
  transports: z.array(z.string().max(32)).max(8).optional(),
  publicKeyAlgorithm: z.number().int().optional(),
  publicKey: base64url.optional(),
  authenticatorData: base64url.optional(),
}).openapi("RegistrationResponseJSON");

export const operatorSchema = z
  .object({
    credentialId: credentialIdSchema,
    institution: institutionSchema,
    operatorId: z.string().openapi({ description: "32 bytes, 0x-hex" }),
    kind: z.enum(["passkey", "hsm"]),
  })
  .openapi("Operator");

/** WebAuthn options for the browser (PublicKeyCredential*OptionsJSON), with the ID to answer them by. */
export const challengeSchema = z.object({ challengeId: z.string(), publicKey: z.record(z.string(), z.unknown()) });

export const signInBody = z.object({
  challengeId: issuedId,
  response: authenticationResponseSchema,
  credentialId: credentialIdSchema.optional().openapi({ description: "The on-chain credential, when the client knows it (else found from userHandle)" }),
});
