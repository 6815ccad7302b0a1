/**
 * The OpenAPI document is generated from the same zod schemas that validate requests: every
 * route is declared once, through `defineRoute`, which both mounts and documents it.
 */
import { z } from "zod";
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV3 } from "@asteasolutions/zod-to-openapi";

extendZodWithOpenApi(z);

export function createOpenApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  // Operators sign in with a passkey (POST /v1/operator-session), which sets this cookie.
  registry.registerComponent("securitySchemes", "operatorSession", { type: "apiKey", in: "cookie", name: "credence_operator" });
  return registry;
}

export function openApiDocument(registry: OpenAPIRegistry, version: string) {
  const document = new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: "3.0.3",
    info: {
      title: "Credence gateway",
      version,
      description:
        "Terminals submit signed settlements, refunds and redemptions; bank and credit-center operators run the ledger: " +
        "they sign in with a passkey, and every decision is drafted by the gateway, signed by the operator's own credential and relayed (POST /v1/decisions). " +
        "Errors are RFC 9457 problem details with a stable `code`.",
    },
    servers: [{ url: "/" }],
  });
  return withPatternsWithoutFlags(document);
}

/**
 * The generator writes a regex with flags as its source followed by "/<flags>" (`/^[^\uD800-\uDFFF]*$/u`
 * becomes "^[^\uD800-\uDFFF]*$/u"), a pattern no string matches. JSON Schema patterns are
 * Unicode-aware already: the flags are dropped. An unescaped "/" cannot end a regex's source
 * (its toString escapes it), so only flags are taken off.
 */
function withPatternsWithoutFlags<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withPatternsWithoutFlags) as T;
  if (!value || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === "pattern" && typeof v === "string" ? v.replace(/(?<!\\)\/[dgimsuvy]+$/, "") : withPatternsWithoutFlags(v)]),
  ) as T;
}
