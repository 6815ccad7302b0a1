/**
 * A small client for the operator API (bank, credit center, auditor): login, then JSON calls
 * with the bearer token. Used by the simulator and the tests; a starting point for back-office
 * tools.
 */
import { GatewayError, requestJson } from "./http";

export class OperatorClient {
  private constructor(
    readonly gatewayUrl: string,
    private readonly token: string,
    readonly role: string,
  ) {}

  static async login(gatewayUrl: string, username: string, password: string): Promise<OperatorClient> {
    const body = await requestJson<{ token?: string; role?: string }>(gatewayUrl, "POST", "/v1/auth/login", { username, password });
    if (!body.token) throw new GatewayError(200, "unknown", "login answered without a token");
    return new OperatorClient(gatewayUrl, body.token, body.role ?? "");
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    return requestJson<T>(this.gatewayUrl, method, path, body, { authorization: `Bearer ${this.token}` });
  }
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
