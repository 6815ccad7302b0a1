/**
 * One signed decision: the gateway drafts it, the browser checks the draft against what the
 * operator asked for (shared/chain/drafts.ts), the signed-in passkey signs the digest recomputed
 * here, and the gateway relays the signature to the contract.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../shared/api/client";
import type { DecisionKind, ProposalTarget } from "../../shared/api/operator-api-pending";
import { checkDecisionDraft, type DecodedAction } from "../../shared/chain/drafts";
import { signChallenge } from "../../shared/passkeys/passkeys";
import { useInfo, useSession } from "../session/api";

export type DecisionRequest =
  | { kind: "propose" | "act"; target: ProposalTarget; function: string; args: Record<string, unknown>; expectedArgs: Record<string, string> }
  | { kind: Exclude<DecisionKind, "propose" | "act">; target: ProposalTarget; proposalId: string };

export interface DecisionOutcome {
  transactionHash: string;
  proposalId?: string;
  executed: boolean;
  action: DecodedAction;
}

const CONTRACT_OF: Record<ProposalTarget, "registry" | "ledger" | "creditGrants"> = { registry: "registry", ledger: "ledger", credit: "creditGrants" };

export function useDecision() {
  const client = useQueryClient();
  const session = useSession();
  const info = useInfo();
  return useMutation({
    mutationFn: async (request: DecisionRequest): Promise<DecisionOutcome> => {
      const operator = session.data;
      const facts = info.data;
      if (!operator || !facts) throw new Error("not signed in");
      const proposing = "function" in request ? request : undefined;
      const deciding = "proposalId" in request ? request : undefined;
      const body = proposing
        ? { kind: proposing.kind, target: proposing.target, function: proposing.function, args: proposing.args }
        : { kind: deciding!.kind, target: deciding!.target, proposalId: deciding!.proposalId };
      const draft = unwrap(await api.POST("/v1/decisions/drafts", { body }));
      const { challenge, action } = checkDecisionDraft(draft, {
        kind: request.kind,
        target: request.target,
        contract: facts[CONTRACT_OF[request.target]] ?? "",
        chainId: BigInt(facts.chainId),
        proposalId: deciding?.proposalId,
        call: proposing && { function: proposing.function, args: proposing.expectedArgs },
      });
      const assertion = await signChallenge(challenge);
      const outcome = unwrap(
        await api.POST("/v1/decisions", { body: { draftId: draft.draftId, credentialId: operator.credentialId, assertion } }),
      );
      return { ...outcome, action };
    },
    onSettled: () => client.invalidateQueries({ queryKey: ["proposals"] }),
  });
}
