/**
 * Proposals that lapse, against a real gateway whose chain is moved past their deadline (its own
 * gateway: chain time runs a week ahead of the clock afterwards). An expired proposal shows as
 * such, cannot be approved, and can be cancelled, which erases the personal data an expired
 * card issuance left behind.
 */
import { expect } from "chai";
import { decided, expectProblem, keyFor, operatorRequest, startGatewayFixture, type GatewayFixture } from "./helpers/gateway-fixture";

const PROPOSAL_LIFETIME = 7 * 24 * 3600;

describe("gateway API: expired proposals", function () {
  let f: GatewayFixture;
  const as = (institution: "bank" | "credit_center", method: "get" | "post", path: string, body?: object) => operatorRequest(f, institution, method, path, body);

  before(async function () {
    f = await startGatewayFixture();
  });

  after(async function () {
    await f?.stop();
  });

  it("shows a card issuance past its deadline as expired, refuses its approval, and erases its holder's data on cancellation", async function () {
    const holder = { name: "Li Lei", nationalId: "110101199003074514" };
    const { draft, result } = await decided(f, "bank", "post", "/v1/cards", { kind: "consumer", key: keyFor("lapsed").address, holder });
    const path = `/v1/proposals/registry/${result.proposalId}`;
    expect((await as("credit_center", "get", path).expect(200)).body.state).to.equal("pending");

    await f.chain.provider.send("evm_increaseTime", [PROPOSAL_LIFETIME + 1]);
    await f.chain.provider.send("evm_mine", []);

    expect((await as("credit_center", "get", path).expect(200)).body.state).to.equal("expired");
    const refused = await as("credit_center", "post", `${path}/approval`).expect(409);
    expectProblem(refused.body, 409, "proposal.not_pending");
    expect(refused.body.detail).to.equal("proposal is expired");

    await decided(f, "bank", "post", `${path}/cancellation`);
    expect((await as("bank", "get", path).expect(200)).body.state).to.equal("cancelled");
    const [row] = await f.gateway.db.query<{ ciphertext: Buffer | null }>("select ciphertext from identities where card_id = $1", [draft.summary.args.cardId]);
    expect(row.ciphertext).to.equal(null);
  });
});
