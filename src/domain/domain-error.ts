/**
 * A refusal or failure the gateway answers with a stable code from the catalogue
 * (src/domain/error-catalogue.ts). It carries a code and a kind, never an HTTP status: the HTTP
 * layer maps the kind to a status (src/http/problem.ts), so services, adapters and auth raise it
 * without knowing HTTP.
 */
import { ERROR_CATALOGUE, type ErrorCode, type ProblemKind } from "./error-catalogue";

export interface DomainErrorInit {
  /** A code of the catalogue: "slip.total_mismatch". Its kind and title come from the catalogue. */
  code: ErrorCode;
  /** This occurrence, for a human. Must not carry secrets or personal data. */
  detail?: string;
  /** Machine-readable extras, rendered as `errors`. */
  details?: readonly unknown[];
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly kind: ProblemKind;
  readonly title: string;
  readonly detail?: string;
  readonly details?: readonly unknown[];

  constructor(init: DomainErrorInit) {
    super(init.detail ? `${init.code}: ${init.detail}` : init.code);
    this.name = "DomainError";
    const entry = ERROR_CATALOGUE[init.code];
    this.code = init.code;
    this.kind = entry.kind;
    this.title = entry.title;
    this.detail = init.detail;
    this.details = init.details;
  }
}
