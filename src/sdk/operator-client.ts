/**
 * A small client for the operator API (bank, credit center, auditor): login, then JSON calls
 * with the bearer token. Used by the simulator and the tests; a starting point for back-office
 * tools.
 */
import { GatewayError } from "./terminal-client";

const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));

export class OperatorClient {
  private constructor(
    readonly gatewayUrl: string,
    private readonly token: string,
    readonly role: string,
  ) {}

  static async login(gatewayUrl: string, username: string, password: string): Promise<OperatorClient> {
    const res = await fetch(new URL("/v1/auth/login", gatewayUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    const body = await reply<{ token?: string; role?: string }>(res);
    if (!body.token) throw new GatewayError(res.status, "unknown", "login answered without a token");
    return new OperatorClient(gatewayUrl, body.token, body.role ?? "");
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(path, this.gatewayUrl), {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : json(body),
    });
    return reply<T>(res);
  }
}

/** A JSON answer's body; a problem answer (or one that is not JSON) as a GatewayError. */
async function reply<T>(res: Response): Promise<T> {
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new GatewayError(res.status, "unknown", `the answer is not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new GatewayError(res.status, String(parsed.code ?? "unknown"), String(parsed.detail ?? parsed.title ?? (text || "no body")));
  return parsed as T;
}

/**
 * Issue a card under dual control: `proposer` proposes, `approver` (the other institution)
 * approves. Returns the new card ID.
 */
export async function issueCardJointly(
  proposer: OperatorClient,
  approver: OperatorClient,
  card: { kind: "consumer" | "merchant"; key: string; holder: { name: string; nationalId: string } },
): Promise<string> {
  const proposed = await proposer.call<{ cardId: string; proposalId: string }>("POST", "/v1/cards", card);
  await approver.call("POST", `/v1/proposals/registry/${proposed.proposalId}/approval`);
  return proposed.cardId;
}
