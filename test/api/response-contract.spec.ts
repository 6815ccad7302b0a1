/**
 * The response contract every test gets from the gateway fixtures (test/helpers/api-contract.ts):
 * a small app declared with `defineRoute`, serving its own /openapi.json, answers right and
 * wrong on purpose; a wrong answer must fail the request that received it, through supertest
 * and through fetch alike, naming the operation, the status and the schema error.
 */
import { expect } from "chai";
import express from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { z } from "zod";
import { createOpenApiRegistry, openApiDocument } from "../../src/api/openapi";
import { defineRoute } from "../../src/api/route";
import { DomainError } from "../../src/domain/domain-error";
import { problemHandler, sendProblem } from "../../src/http/problem";
import { ContractViolation, installApiContract } from "../helpers/api-contract";

installApiContract();

const points = z.object({ balance: z.string().regex(/^\d+$/), frozen: z.boolean() }).openapi("TestPoints");

/** An app whose answers break its own document in the ways the contract must catch. */
function contractApp() {
  const app = express();
  const router = express.Router();
  const registry = createOpenApiRegistry();
  const responses = { 200: { description: "Points", schema: points } };
  defineRoute(router, registry, { method: "get", path: "/v1/points/right", summary: "A right answer", tags: ["test"], responses }, async () => ({ status: 200, body: { balance: "12", frozen: false } }));
  defineRoute(router, registry, { method: "get", path: "/v1/points/wrong-type", summary: "A balance as a number", tags: ["test"], responses }, async () => ({ status: 200, body: { balance: 12, frozen: false } }));
  defineRoute(router, registry, { method: "get", path: "/v1/points/missing", summary: "No frozen flag", tags: ["test"], responses }, async () => ({ status: 200, body: { balance: "12" } }));
  defineRoute(router, registry, { method: "get", path: "/v1/points/undocumented", summary: "A 201 nobody declared", tags: ["test"], responses }, async () => ({ status: 201, body: { balance: "12", frozen: false } }));
  defineRoute(router, registry, { method: "get", path: "/v1/points/refused", summary: "A problem", tags: ["test"], responses }, async () => {
    throw new DomainError({ code: "submission.nonce_reused" });
  });
  app.use(router);
  // A problem without its code, answered by hand: the Problem schema requires one.
  app.get("/v1/points/bad-problem", (req, res) => sendProblem(req, res, { type: "urn:x", title: "Broken", status: 418 } as never));
  // A problem whose code no catalogue lists, answered by hand.
  app.get("/v1/points/uncatalogued", (req, res) => sendProblem(req, res, { type: "urn:credence:problem:points.refused", title: "Refused", status: 409, code: "points.refused" }));
  app.get("/openapi.json", (_req, res) => res.json(openApiDocument(registry, "test")));
  app.use(problemHandler);
  return app;
}

function listen(app: express.Express, port: number): Promise<Server> {
  return new Promise<Server>((resolve) => {
    const s = app.listen(port, "127.0.0.1", () => resolve(s));
  });
}

function close(server: Server): Promise<unknown> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
}

describe("response contract (every answer checked against /openapi.json)", () => {
  let server: Server;
  let url: string;

  before(async () => {
    server = await new Promise<Server>((resolve) => {
      const s = contractApp().listen(0, "127.0.0.1", () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function supertestFailure(path: string): Promise<Error> {
    try {
      await request(url).get(path);
    } catch (err) {
      return err as Error;
    }
    expect.fail(`GET ${path} passed the contract`);
  }

  describe("through supertest", () => {
    it("passes an answer that matches its schema", async () => {
      const res = await request(url).get("/v1/points/right").expect(200);
      expect(res.body).to.deep.equal({ balance: "12", frozen: false });
    });

    it("passes a problem answer (the default response)", async () => {
      await request(url).get("/v1/points/refused").expect(409);
    });

    it("fails a request whose answer has a field of the wrong type, naming operation, status and error", async () => {
      const err = await supertestFailure("/v1/points/wrong-type");
      expect(err).to.be.instanceOf(ContractViolation);
      expect(err.message).to.contain("GET /v1/points/wrong-type answered 200").and.contain("body/balance must be string");
    });

    it("fails a request whose answer lacks a required field", async () => {
      const err = await supertestFailure("/v1/points/missing");
      expect(err.message).to.contain("GET /v1/points/missing answered 200").and.contain("must have required property 'frozen'");
    });

    it("fails an answer with a status the operation does not document", async () => {
      const err = await supertestFailure("/v1/points/undocumented");
      expect(err.message).to.contain("GET /v1/points/undocumented answered 201").and.contain("not documented");
    });

    it("fails a problem without its code", async () => {
      const err = await supertestFailure("/v1/points/bad-problem");
      expect(err.message).to.contain("answered 418").and.contain("must have required property 'code'");
    });

    it("fails a problem whose code is not in the error catalogue", async () => {
      const err = await supertestFailure("/v1/points/uncatalogued");
      expect(err.message).to.contain("answered 409 with code points.refused, which is not in the error catalogue");
    });

    it("fails the request even when the test asserts nothing else", async () => {
      // `await request(...)` alone (no .expect) goes through the same check.
      const err = await request(url)
        .get("/v1/points/wrong-type")
        .then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(ContractViolation);
    });
  });

  describe("when a port changes hands", () => {
    it("does not hold a later server on the same port to the contract of the one before", async () => {
      const first = await listen(contractApp(), 0);
      const port = (first.address() as AddressInfo).port;
      await request(`http://127.0.0.1:${port}`).get("/v1/points/right").expect(200);
      await close(first);
      // Another server, with no /openapi.json, takes the port and answers what the first would not.
      const other = express().get("/v1/points/right", (_req, res) => res.json({ id: "2" }));
      const second = await listen(other, port);
      try {
        const res = await request(`http://127.0.0.1:${port}`).get("/v1/points/right").expect(200);
        expect(res.body).to.deep.equal({ id: "2" });
      } finally {
        await close(second);
      }
    });

    it("still fails a wrong answer from the server whose contract was cached", async () => {
      await request(url).get("/v1/points/right").expect(200);
      const err = await supertestFailure("/v1/points/missing");
      expect(err).to.be.instanceOf(ContractViolation);
    });
  });

  describe("through fetch", () => {
    it("passes an answer that matches its schema", async () => {
      const res = await fetch(`${url}/v1/points/right`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ balance: "12", frozen: false });
    });

    it("throws for an answer that breaks its schema", async () => {
      const err = await fetch(`${url}/v1/points/wrong-type`).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err).to.be.instanceOf(ContractViolation);
      expect(err!.message).to.contain("GET /v1/points/wrong-type answered 200").and.contain("body/balance must be string");
    });
  });
});
