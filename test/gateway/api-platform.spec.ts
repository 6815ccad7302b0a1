/**
 * What every gateway serves besides the ledger API, against a real gateway: health and
 * readiness, Prometheus metrics, the OpenAPI document, problem details for every error, and
 * logs that never carry personal data, session cookies, enrolment codes or keys.
 */
import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import request from "supertest";
import { KEY_FILE } from "../../src/config";
import { ENROLMENT_CODES_FILE } from "../../src/auth/enrolment-codes";
import type { DecisionDraft, DecisionResult } from "../../src/sdk/operator-client";
import { EIP55_MESSAGE } from "../../src/domain/address";
import { createLogger } from "../../src/http/observability";
import {
  decided,
  issueConsumer,
  keyFor,
  openMerchant,
  operatorRequest,
  signedSlip,
  startGatewayFixture,
  waitForFinal,
  type GatewayFixture,
} from "./helpers/gateway-fixture";

/** Every operation the app mounts through its routers, as the OpenAPI document names it. */
const API_OPERATIONS = [
  "get /v1/info",
  "post /v1/slips",
  "get /v1/slips/{id}",
  "post /v1/settlements",
  "post /v1/refunds",
  "post /v1/redemptions",
  "get /v1/submissions/{id}",
  "post /v1/cards",
  "get /v1/cards/{cardId}",
  "get /v1/cards/{cardId}/history",
  "get /v1/cards",
  "get /v1/merchants",
  "get /v1/merchants/{merchantId}/terminals",
  "get /v1/ledger",
  "get /v1/gateways",
  "post /v1/cards/{cardId}/replacement",
  "post /v1/cards/{cardId}/status",
  "delete /v1/cards/{cardId}/identity",
  "post /v1/cards/{cardId}/corrections",
  "get /v1/proposals/{target}",
  "get /v1/proposals/{target}/{id}",
  "post /v1/proposals/{target}/{id}/approval",
  "post /v1/proposals/{target}/{id}/cancellation",
  "post /v1/merchants",
  "get /v1/merchants/{merchantId}",
  "put /v1/merchants/{merchantId}/active",
  "put /v1/merchants/{merchantId}/agreement",
  "post /v1/terminals",
  "put /v1/terminals/{terminal}/enabled",
  "put /v1/credit-point-rule",
  "put /v1/ledger/paused",
  "get /v1/credit/cards/{cardId}",
  "get /v1/credit/scores",
  "get /v1/credit/policy",
  "put /v1/credit/policy/{kind}",
  "post /v1/credit/cards/{cardId}/proposals",
  "post /v1/credit/cards/{cardId}/freeze",
  "post /v1/credit/cards/{cardId}/freeze/confirmation",
  "post /v1/operator-session/options",
  "post /v1/operator-session",
  "get /v1/operator-session",
  "delete /v1/operator-session",
  "get /v1/operators",
  "post /v1/operators/{credentialId}/removal",
  "get /v1/operators/removals/{draftId}",
  "post /v1/operators/removals/{draftId}/signatures",
  "get /v1/enrolment",
  "post /v1/enrolment/options",
  "post /v1/enrolment/drafts",
  "post /v1/enrolment/drafts/{draftId}/signatures",
  "post /v1/decisions/drafts",
  "post /v1/decisions",
  "post /v1/cards/{cardId}/activation-code",
  "post /v1/merchants/{merchantId}/activation-code",
  "post /v1/portal/activation",
  "post /v1/portal/session",
  "post /v1/portal/passkeys/options",
  "post /v1/portal/passkeys",
  "post /v1/portal/passkey-session/options",
  "post /v1/portal/passkey-session",
  "get /v1/portal/session",
  "delete /v1/portal/session",
  "get /v1/portal/accounts/{account}",
  "get /v1/portal/accounts/{account}/history",
  "post /v1/portal/accounts/{account}/lost",
  "get /v1/portal/merchants/{merchantId}",
  "get /v1/portal/merchants/{merchantId}/days",
  "get /v1/portal/merchants/{merchantId}/days.csv",
];

/** Sample values for the path parameters of the document. */
const SAMPLE_PARAMS: Record<string, string> = {
  id: "1",
  draftId: "no-such-draft",
  credentialId: "1",
  cardId: "0x" + "ab".repeat(32),
  merchantId: "1",
  target: "registry",
  terminal: "0x" + "12".repeat(20),
  kind: "consumer",
  account: "1",
};

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
}

describe("gateway API: platform", function () {
  let f: GatewayFixture;
  const logLines: string[] = [];
  const logs = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });

  const documented = async () => {
    const doc = (await request(f.url).get("/openapi.json").expect(200)).body as OpenApiDocument;
    return Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((method) => `${method} ${p}`));
  };

  before(async function () {
    f = await startGatewayFixture({ log: createLogger({ level: "info" }, logs) });
  });

  after(async function () {
    await f?.stop();
  });

  describe("health", function () {
    it("answers GET /healthz with 200 and status ok", async function () {
      const res = await request(f.url).get("/healthz").expect(200);
      expect(res.body).to.deep.equal({ status: "ok" });
    });

    it("answers GET /readyz with 200 and status ready while the node and the store answer", async function () {
      const res = await request(f.url).get("/readyz").expect(200);
      expect(res.body).to.deep.equal({ status: "ready" });
    });
  });

  describe("GET /metrics", function () {
    it("serves Prometheus text counting requests by route template and submissions by outcome", async function () {
      const shop = await openMerchant(f, "metrics");
      const card = await issueConsumer(f, "metrics");
      const slip = shop.terminal.slip({ orderNumber: "M-1", cardId: card.cardId, currency: "CNY", category: 0, lines: [{ description: "Tea", quantity: 1, unitPrice: "1250" }] });
      const accepted = await shop.terminal.settle(slip, card.signer);
      expect((await waitForFinal(f, accepted.id)).status).to.equal("confirmed");
      await request(f.url).get(`/v1/slips/${"0".repeat(32)}`).expect(404);

      const res = await request(f.url).get("/metrics").expect(200);
      expect(res.headers["content-type"]).to.match(/^text\/plain; version=0\.0\.4/);
      expect(res.text).to.contain("# TYPE http_requests_total counter");
      expect(res.text).to.contain('http_requests_total{route="/v1/settlements",method="POST",status="202"} 1');
      expect(res.text).to.contain('http_requests_total{route="/v1/slips/:id",method="GET",status="404"} 1');
      expect(res.text).to.contain("# TYPE submissions_total counter");
      expect(res.text).to.match(/^submissions_total\{kind="[a-z]+",outcome="accepted"\} 1$/m);
      expect(res.text).to.contain('submissions_total{kind="settlement",outcome="recorded"} 1');
      expect(res.text).to.contain("batch_size_count 1");
      expect(res.text).to.contain("time_to_confirm_seconds_count 1");
      // Everything answered: the outbox gauges are there, with no unanswered submission.
      expect(res.text).to.contain("# TYPE outbox_items gauge");
      expect(res.text).to.not.match(/^outbox_items\{/m);
    });
  });

  describe("GET /openapi.json", function () {
    it("is an OpenAPI 3 document of the Credence gateway", async function () {
      const doc = (await request(f.url).get("/openapi.json").expect(200)).body as OpenApiDocument;
      expect(doc.openapi).to.match(/^3\.\d+\.\d+$/);
      expect(doc.info).to.deep.include({ title: "Credence gateway", version: "0.1.0" });
    });

    it("documents every operation of the terminal, operator and read routers", async function () {
      expect((await documented()).sort()).to.deep.equal([...API_OPERATIONS].sort());
    });

    it("mounts every documented operation (none answers route.not_found)", async function () {
      for (const operation of await documented()) {
        const [method, template] = operation.split(" ") as ["get" | "post" | "put" | "delete", string];
        const concrete = template.replace(/\{(\w+)\}/g, (_m, name: string) => SAMPLE_PARAMS[name]);
        const res = await request(f.url)[method](concrete).send({});
        expect(res.body.code, operation).not.to.equal("route.not_found");
      }
    });

    it("documents no password login: POST /v1/auth/login is gone", async function () {
      expect(await documented()).not.to.include("post /v1/auth/login");
    });
  });

  describe("problem details", function () {
    const cases: { name: string; status: number; code: string; send: () => request.Test }[] = [
      { name: "an unknown route", status: 404, code: "route.not_found", send: () => request(f.url).get("/v1/nothing-here") },
      { name: "an invalid body", status: 400, code: "request.invalid", send: () => request(f.url).post("/v1/settlements").send({ settlement: {} }) },
      {
        name: "malformed JSON",
        status: 400,
        code: "request.malformed_json",
        send: () => request(f.url).post("/v1/slips").set("content-type", "application/json").send("{"),
      },
      { name: "a body over the limit", status: 413, code: "request.too_large", send: () => request(f.url).post("/v1/slips").send({ pad: "x".repeat(700 * 1024) }) },
      { name: "a missing session", status: 401, code: "session.required", send: () => request(f.url).get("/v1/merchants/1") },
      {
        name: "an operator of the wrong institution",
        status: 403,
        code: "session.wrong_institution",
        send: () => operatorRequest(f, "credit_center", "put", "/v1/ledger/paused", { paused: true }),
      },
      { name: "an unknown resource", status: 404, code: "submission.not_found", send: () => request(f.url).get("/v1/submissions/424242") },
      {
        name: "a refused slip",
        status: 422,
        code: "terminal.unknown",
        send: () => {
          const nobody = keyFor("nobody");
          const slip = { orderNumber: "P-1", cardId: SAMPLE_PARAMS.cardId, terminal: nobody.address, currency: "CNY", category: 0, time: 1, lines: [{ description: "x", quantity: 1, unitPrice: "1" }], total: "1" };
          return request(f.url).post("/v1/slips").send(signedSlip(f, slip, nobody));
        },
      },
    ];

    for (const c of cases) {
      it(`answers ${c.name} with ${c.status} application/problem+json carrying type, title, status and code ${c.code}`, async function () {
        const res = await c.send().expect(c.status);
        expect(res.headers["content-type"]).to.equal("application/problem+json; charset=utf-8");
        expect(res.body).to.deep.include({ type: `urn:credence:problem:${c.code}`, status: c.status, code: c.code });
        expect(res.body.title).to.be.a("string").that.is.not.empty;
      });
    }

    it("names the method and path of an unknown route and gives its path as the instance", async function () {
      const res = await request(f.url).delete("/v1/nothing-here?x=1").expect(404);
      expect(res.body).to.deep.equal({
        type: "urn:credence:problem:route.not_found",
        title: "Not found",
        status: 404,
        code: "route.not_found",
        detail: "no route for DELETE /v1/nothing-here",
        instance: "/v1/nothing-here",
      });
    });
  });

  describe("hostile input", function () {
    const slipWith = (description: string) => {
      const nobody = keyFor("nobody");
      const slip = { orderNumber: "P-2", cardId: SAMPLE_PARAMS.cardId, terminal: nobody.address, currency: "CNY", category: 0, time: 1, lines: [{ description, quantity: 1, unitPrice: "1" }], total: "1" };
      return signedSlip(f, slip, nobody);
    };

    for (const path of ["/v1/cards/%ZZ", "/v1/slips/%E0%A4%A", "/v1/submissions/%"]) {
      it(`answers a malformed percent-encoding in a path parameter (${path}) with 400 request.malformed_path, before any token check, and logs no error`, async function () {
        const from = logLines.length;
        const res = await request(f.url).get(path).expect(400);
        expect(res.body).to.deep.include({ status: 400, code: "request.malformed_path" });
        const written = logLines.slice(from).map((l) => JSON.parse(l) as { level: number; msg?: string });
        expect(written.filter((l) => l.level >= 50 || l.msg === "unhandled error")).to.deep.equal([]);
      });
    }

    it("answers a URL and headers over 16 kB with 431 request.headers_too_large as problem+json, not Node's empty answer", async function () {
      const answer = await new Promise<{ status?: number; type?: string; body: string }>((resolve, reject) => {
        const req = http.get(`${f.url}/v1/submissions/1?pad=${"a".repeat(17 * 1024)}`, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (body += c));
          res.on("end", () => resolve({ status: res.statusCode, type: res.headers["content-type"], body }));
        });
        req.on("error", reject);
      });
      expect(answer.status).to.equal(431);
      expect(answer.type).to.match(/^application\/problem\+json/);
      expect(JSON.parse(answer.body)).to.deep.include({ status: 431, code: "request.headers_too_large", type: "urn:credence:problem:request.headers_too_large" });
    });

    it("keeps Node's 400 for a request line it cannot parse", async function () {
      const { hostname, port } = new URL(f.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), hostname.replace(/^\[|\]$/g, ""), () => socket.write("NOT HTTP AT ALL\r\n\r\n"));
        let text = "";
        socket.on("data", (c) => (text += String(c)));
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
      });
      expect(answer).to.equal("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    });

    it("refuses a NUL in a signed slip's line description with 422 request.text_unstorable", async function () {
      const res = await request(f.url).post("/v1/slips").send(slipWith("rice\u0000")).expect(422);
      expect(res.body).to.deep.include({ status: 422, code: "request.text_unstorable" });
      expect(res.body.errors.map((e: { path: string }) => e.path)).to.deep.equal(["slip.lines.0.description"]);
    });

    it("answers a mixed-case address with a wrong EIP-55 checksum with 400 request.invalid", async function () {
      /** The checksummed address with the case of its first letter flipped. */
      const miscased = (checksummed: string) => {
        const i = checksummed.slice(2).search(/[a-fA-F]/) + 2;
        const c = checksummed[i];
        return checksummed.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + checksummed.slice(i + 1);
      };
      const body = slipWith("rice") as { slip: { terminal: string } };
      body.slip.terminal = miscased(body.slip.terminal);
      const slip = await request(f.url).post("/v1/slips").send(body).expect(400);
      expect(slip.body.errors).to.deep.include({ path: "slip.terminal", code: "custom", message: EIP55_MESSAGE });
      const refund = await request(f.url).post("/v1/refunds").send({ refund: { terminal: miscased(keyFor("nobody").address) } }).expect(400);
      expect(refund.body.errors).to.deep.include({ path: "refund.terminal", code: "custom", message: EIP55_MESSAGE });
    });

    it("answers 400 request.invalid when a NUL comes with other invalid fields", async function () {
      const body = slipWith("rice\u0000") as { slip: { total: string } };
      body.slip.total = "not a number";
      const res = await request(f.url).post("/v1/slips").send(body).expect(400);
      expect(res.body.code).to.equal("request.invalid");
    });
  });

  describe("logs", function () {
    const holder = { name: "Wang Fang", nationalId: "310104199001011234", photo: Buffer.from("a photo of Wang Fang").toString("base64") };

    it("record card issuance without the holder's name, national ID or photo", async function () {
      const from = logLines.length;
      const key = keyFor("logged-holder").address;
      const drafted = await operatorRequest(f, "bank", "post", "/v1/cards", { kind: "consumer", key, holder }).set("x-request-id", "issue-logged-holder").expect(200);
      const proposed = (await operatorRequest(f, "bank", "post", "/v1/decisions", f.operators.bank.submission(drafted.body as DecisionDraft)).expect(200)).body as DecisionResult;
      await decided(f, "credit_center", "post", `/v1/proposals/registry/${proposed.proposalId}/approval`);
      // A refused issuance (bad key) carries the same personal data in its body.
      await operatorRequest(f, "bank", "post", "/v1/cards", { kind: "consumer", key: "0x1234", holder }).expect(400);

      const written = logLines.slice(from);
      const issued = written.map((l) => JSON.parse(l) as { req?: { id: string; method: string; path: string }; res?: { statusCode: number } });
      expect(issued.find((l) => l.req?.id === "issue-logged-holder")).to.deep.include({
        req: { id: "issue-logged-holder", method: "POST", path: "/v1/cards" },
        res: { statusCode: 200 },
      });
      expect(written.length).to.be.at.least(3);
      const text = written.join("\n");
      for (const secret of [holder.name, holder.nationalId, holder.photo, "310104"]) expect(text).not.to.contain(secret);
    });

    it("never carry the operators' session cookies, the enrolment codes or the gateway's keys", async function () {
      const forged = "a-forged-session-token";
      await request(f.url).get("/v1/proposals/registry").set("cookie", `credence_operator=${forged}`).expect(401);
      await operatorRequest(f, "bank", "get", "/v1/proposals/registry").expect(200);
      const keys = JSON.parse(fs.readFileSync(path.join(f.dataDir, KEY_FILE), "utf8")) as Record<string, string>;
      const codes = JSON.parse(fs.readFileSync(path.join(f.dataDir, ENROLMENT_CODES_FILE), "utf8")) as { bank: string; credit_center: string };
      const cookies = [f.operators.bank.cookie, f.operators.creditCenter.cookie].map((c) => c.split("=")[1]);
      const secrets = [...cookies, forged, codes.bank, codes.credit_center, ...Object.values(keys).map((k) => k.slice(2))];
      expect(secrets).to.have.length(2 + 1 + 2 + 5);
      const text = logLines.join("\n");
      for (const secret of secrets) expect(text).not.to.contain(secret);
    });
  });
});
