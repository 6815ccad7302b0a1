/** The portal's session (an HttpOnly cookie, server-side) and the signed-in account's reads. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../shared/api/client";
import { createPasskey, signInAssertion } from "../../shared/passkeys/passkeys";

export function usePortalSession() {
  return useQuery({
    queryKey: ["session"],
    queryFn: async () => {
      const result = await api.GET("/v1/portal/session");
      return result.response.status === 401 ? null : unwrap(result);
    },
    staleTime: Infinity,
  });
}

export type PortalAccount = NonNullable<ReturnType<typeof usePortalSession>["data"]>;

/** The page a signed-in account starts at. */
export function homeOf(account: PortalAccount): string {
  return account.kind === "consumer" ? `accounts/${account.subject}` : `merchants/${account.subject}`;
}

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: { account: string; password: string }) => unwrap(await api.POST("/v1/portal/session", { body })),
    onSuccess: (account) => client.setQueryData(["session"], account),
  });
}

export function useActivate() {
  return useMutation({
    mutationFn: async (body: { account: string; code: string; password: string }) => unwrap(await api.POST("/v1/portal/activation", { body })),
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      unwrap(await api.DELETE("/v1/portal/session"));
    },
    onSuccess: () => {
      client.clear();
      client.setQueryData(["session"], null);
    },
  });
}

export function useConsumer(account: string) {
  return useQuery({
    queryKey: ["portal", "account", account],
    queryFn: async () => unwrap(await api.GET("/v1/portal/accounts/{account}", { params: { path: { account } } })),
  });
}

export type MovementFilter = "earned" | "reversed" | "redeemed";

export function useHistory(account: string, before: number | undefined, movement: MovementFilter | undefined) {
  return useQuery({
    queryKey: ["portal", "history", account, before ?? "latest", movement ?? "all"],
    queryFn: async () => unwrap(await api.GET("/v1/portal/accounts/{account}/history", { params: { path: { account }, query: { before, movement } } })),
  });
}

export function useMerchant(merchantId: string) {
  return useQuery({
    queryKey: ["portal", "merchant", merchantId],
    queryFn: async () => unwrap(await api.GET("/v1/portal/merchants/{merchantId}", { params: { path: { merchantId } } })),
  });
}

export function useMerchantDays(merchantId: string, before: number | undefined) {
  return useQuery({
    queryKey: ["portal", "days", merchantId, before ?? "latest"],
    queryFn: async () => unwrap(await api.GET("/v1/portal/merchants/{merchantId}/days", { params: { path: { merchantId }, query: { before } } })),
  });
}

export function useAddPasskey() {
  return useMutation({
    mutationFn: async () => {
      const { challengeId, publicKey } = unwrap(await api.POST("/v1/portal/passkeys/options"));
      const response = await createPasskey(publicKey);
      return unwrap(await api.POST("/v1/portal/passkeys", { body: { challengeId, response } }));
    },
  });
}

export function usePasskeySignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const { challengeId, publicKey } = unwrap(await api.POST("/v1/portal/passkey-session/options"));
      const response = await signInAssertion(publicKey);
      return unwrap(await api.POST("/v1/portal/passkey-session", { body: { challengeId, response } }));
    },
    onSuccess: (account) => client.setQueryData(["session"], account),
  });
}

/** Report the card lost: the gateway freezes it and answers once mined; the account is read again. */
export function useReportLost(account: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => unwrap(await api.POST("/v1/portal/accounts/{account}/lost", { params: { path: { account } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["portal", "account", account] }),
  });
}
