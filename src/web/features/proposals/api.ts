import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../shared/api/client";
import type { Proposal, ProposalTarget } from "../../shared/api/operator-api-pending";

export const TARGETS: ProposalTarget[] = ["registry", "ledger", "credit"];

/** Pending proposals of the three dual-control contracts, newest first within each. */
export function usePendingProposals() {
  return useQuery({
    queryKey: ["proposals"],
    queryFn: async (): Promise<Proposal[]> => {
      const lists = await Promise.all(TARGETS.map(async (target) => unwrap(await api.GET("/v1/proposals/{target}", { params: { path: { target } } })).proposals));
      return lists.flat().filter((p) => p.state === "pending");
    },
  });
}
