/** What every audience's app runs inside: the query cache and the router under its base path. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { RouterProvider } from "./router";

export function AppProviders({ base, children }: { base: string; children: ReactNode }) {
  const [client] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } } }));
  return (
    <QueryClientProvider client={client}>
      <RouterProvider base={base}>{children}</RouterProvider>
    </QueryClientProvider>
  );
}
