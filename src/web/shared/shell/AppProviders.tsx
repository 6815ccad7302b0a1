/** What every audience's app runs inside: the query cache and the router under its base path. */
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { ApiProblem } from "../api/client";
import { RouterProvider } from "./router";

export function AppProviders({ base, children }: { base: string; children: ReactNode }) {
  const [client] = useState(() => {
    // A session that ended on the server (idle, signed out elsewhere, credential removed) reads as signed out.
    const onError = (error: Error) => {
      if (error instanceof ApiProblem && error.status === 401) client.setQueryData(["session"], null);
    };
    const client: QueryClient = new QueryClient({
      queryCache: new QueryCache({ onError }),
      mutationCache: new MutationCache({ onError }),
      defaultOptions: { queries: { retry: false, retryOnMount: false, refetchOnWindowFocus: false } },
    });
    return client;
  });
  return (
    <QueryClientProvider client={client}>
      <RouterProvider base={base}>{children}</RouterProvider>
    </QueryClientProvider>
  );
}
