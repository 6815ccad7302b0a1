/**
 * Enrolment of a new passkey: create it, have the gateway draft the step that registers it,
 * check the draft binds this very key, and sign the step: with the one-time enrolment code's
 * key (derived here, in the browser; the code never leaves it) for an institution's first
 * operator, or with the signed-in operator's passkey for the next ones.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { SigningKey, getBytes } from "ethers";
import { api, unwrap } from "../../shared/api/client";
import type { Institution } from "../../shared/api/operator-api-pending";
import { DraftRefused, checkEnrolmentDraft, passkeyPublicKey } from "../../shared/chain/drafts";
import { createPasskey, signChallenge } from "../../shared/passkeys/passkeys";
import { encodeSecp256k1Signature, enrolmentCodePrivateKey } from "../../../domain/operator-steps";
import { base64url } from "../../../domain/webauthn";
import { useInfo, useSession } from "../session/api";

export function useEnrolmentState() {
  return useQuery({ queryKey: ["enrolment"], queryFn: async () => unwrap(await api.GET("/v1/enrolment")) });
}

export interface EnrolmentRequest {
  institution: Institution;
  operatorLabel: string;
  /** The institution's one-time enrolment code, while it is open. */
  code?: string;
}

export function useEnrol() {
  const client = useQueryClient();
  const info = useInfo();
  const session = useSession();
  return useMutation({
    mutationFn: async (request: EnrolmentRequest) => {
      const facts = info.data;
      if (!facts?.operators) throw new Error("no credentials contract");
      const { challengeId, publicKey } = unwrap(await api.POST("/v1/enrolment/options", { body: { institution: request.institution, operatorLabel: request.operatorLabel } }));
      const registration = await createPasskey(publicKey);
      if (!registration.response.publicKey) throw new DraftRefused("key_mismatch");
      const key = passkeyPublicKey(registration.response.publicKey);
      const draft = unwrap(await api.POST("/v1/enrolment/drafts", { body: { challengeId, response: registration } }));
      const digest = checkEnrolmentDraft(draft, { institution: request.institution, key, operators: facts.operators, chainId: BigInt(facts.chainId) });
      const path = { params: { path: { draftId: draft.draftId } } } as const;
      if (draft.method === "code") {
        if (!request.code) throw new DraftRefused("code_needed");
        const signature = encodeSecp256k1Signature(new SigningKey(enrolmentCodePrivateKey(request.code.trim())).sign(digest));
        return unwrap(await api.POST("/v1/enrolment/drafts/{draftId}/signatures", { ...path, body: { signature } }));
      }
      const operator = session.data;
      if (!operator || operator.institution !== request.institution) throw new DraftRefused("other_institution");
      const assertion = await signChallenge(base64url(getBytes(digest)));
      return unwrap(await api.POST("/v1/enrolment/drafts/{draftId}/signatures", { ...path, body: { credentialId: operator.credentialId, assertion } }));
    },
    onSettled: () => client.invalidateQueries({ queryKey: ["enrolment"] }),
  });
}
