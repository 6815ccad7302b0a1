/**
 * redactUrl: what the start-up banner prints of RPC_URL, without the secrets a URL can carry.
 */
import { expect } from "chai";
import { UNPRINTABLE_URL, redactUrl } from "../../src/redact-url";

describe("redactUrl", () => {
  it("drops the username and password, keeping scheme, host, port and path", () => {
    expect(redactUrl("https://user:secret@node.example:8545/rpc/v1")).to.equal("https://node.example:8545/rpc/v1");
    expect(redactUrl("http://token@10.0.0.5:8545")).to.equal("http://10.0.0.5:8545");
  });

  it("drops the query string and fragment, where an API key may be", () => {
    expect(redactUrl("https://node.example/rpc?apikey=secret&x=1#secret")).to.equal("https://node.example/rpc");
  });

  it("leaves a URL without secrets as it was", () => {
    expect(redactUrl("http://127.0.0.1:8545")).to.equal("http://127.0.0.1:8545");
    expect(redactUrl("https://node.example/rpc")).to.equal("https://node.example/rpc");
  });

  it("does not echo a URL that does not parse into a host", () => {
    expect(redactUrl("not a url, secret")).to.equal(UNPRINTABLE_URL);
    expect(redactUrl("user:secret@node.example:8545")).to.equal(UNPRINTABLE_URL);
  });
});
