/** The operator's session (cookie, server-side) and the gateway's public facts the pages check against. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../shared/api/client";
import type { Operator } from "../../shared/api/operator-api-pending";
import { forgetSignedInPasskey, signInAssertion } from "../../shared/passkeys/passkeys";

export function useSession() {
  return useQuery({
    queryKey: ["session"],
    queryFn: async (): Promise<Operator | null> => {
      const result = await api.GET("/v1/operator-session");
      return result.response.status === 401 ? null : unwrap(result);
    },
    // Changed by signing in and out (setQueryData), and dropped by any 401 (AppProviders).
    staleTime: Infinity,
  });
}

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const { challengeId, publicKey } = unwrap(await api.POST("/v1/operator-session/options"));
      const response = await signInAssertion(publicKey);
      return unwrap(await api.POST("/v1/operator-session", { body: { challengeId, response } }));
    },
    onSuccess: (operator) => client.setQueryData(["session"], operator),
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      unwrap(await api.DELETE("/v1/operator-session"));
      forgetSignedInPasskey();
    },
    onSuccess: () => {
      client.clear();
      client.setQueryData(["session"], null);
    },
  });
}

/** Chain ID and contract addresses: what drafts are checked against. */
export function useInfo() {
  return useQuery({ queryKey: ["info"], queryFn: async () => unwrap(await api.GET("/v1/info")), staleTime: Infinity });
}
