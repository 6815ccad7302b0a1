/**
 * The one way the web app reaches the gateway: openapi-fetch over the typed paths generated from
 * GET /openapi.json. Same origin, so the session cookie travels and the browser sends the
 * `Origin` the gateway checks on state-changing requests. A problem+json answer becomes an
 * `ApiProblem` carrying its stable `code`, which the pages translate.
 */
import createClient from "openapi-fetch";
import type { paths } from "./operator-api-pending";

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: "same-origin" });

/** An RFC 9457 problem the gateway answered with. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail?: string,
  ) {
    super(detail ? `${code}: ${detail}` : code);
  }
}

/** The data of an openapi-fetch result, or its problem thrown. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const problem = (result.error ?? {}) as { code?: unknown; detail?: unknown };
  throw new ApiProblem(
    result.response.status,
    typeof problem.code === "string" ? problem.code : `http.${result.response.status}`,
    typeof problem.detail === "string" ? problem.detail : undefined,
  );
}
