/**
 * The HTTP plumbing: every error rendered as RFC 9457 problem+json by one middleware, request
 * ids, redacted logs and Prometheus metrics.
 */
import { expect } from "chai";
import { Writable } from "node:stream";
import express, { Router } from "express";
import request from "supertest";
import { z } from "zod";
import { DomainError } from "../../src/domain/domain-error";
import { notFoundHandler, problemHandler } from "../../src/http/problem";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger, createMetrics, httpMetrics, metricsClients, metricsHandler, requestIdFor, requestLogger } from "../../src/http/observability";
import { LOOPBACK_CLIENTS, parseAddressRange } from "../../src/config";

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level: "debug" }, stream) };
}

function buildApp() {
  const { lines, logger } = captureLogs();
  const metrics = createMetrics({ defaultMetrics: false });
  const app = express();
  app.use(requestLogger(logger));
  app.use(httpMetrics(metrics));
  app.use(express.json({ limit: "1kb" }));
  const v1 = Router();
  v1.get("/slips/:id", (req, res) => {
    res.json({ id: req.params.id });
  });
  v1.post("/slips", (req) => {
    z.object({ amount: z.string().regex(/^\d+$/), currency: z.string().length(3) }).parse(req.body);
    throw new DomainError({
      code: "slip.total_mismatch",
      detail: "line items sum to 90, total says 100",
      details: [{ field: "total", expected: "90" }],
    });
  });
  v1.get("/boom", () => {
    throw new Error("connect ECONNREFUSED 10.0.0.5:5432 password=hunter2");
  });
  app.use("/v1", v1);
  app.get("/metrics", metricsHandler(metrics));
  app.use(notFoundHandler);
  app.use(problemHandler);
  return { app, lines, metrics };
}

describe("http", () => {
  describe("problem details", () => {
    it("renders a DomainError with its code, status, title, detail, errors and instance", async () => {
      const res = await request(buildApp().app).post("/v1/slips?x=1").send({ amount: "100", currency: "CNY" }).expect(422);
      expect(res.headers["content-type"]).to.match(/^application\/problem\+json; charset=utf-8$/);
      expect(res.body).to.deep.equal({
        type: "urn:credence:problem:slip.total_mismatch",
        title: "Malformed slip",
        status: 422,
        code: "slip.total_mismatch",
        detail: "line items sum to 90, total says 100",
        errors: [{ field: "total", expected: "90" }],
        instance: "/v1/slips",
      });
    });

    it("maps a zod error to 400 request.invalid with the issue list", async () => {
      const res = await request(buildApp().app).post("/v1/slips").send({ amount: "1.5" }).expect(400);
      expect(res.body.code).to.equal("request.invalid");
      expect(res.body.errors.map((e: { path: string }) => e.path).sort()).to.deep.equal(["amount", "currency"]);
    });

    it("maps malformed JSON to 400 request.malformed_json and a big body to 413 request.too_large", async () => {
      const { app } = buildApp();
      const bad = await request(app).post("/v1/slips").set("content-type", "application/json").send('{"amount": ').expect(400);
      expect(bad.body.code).to.equal("request.malformed_json");
      const big = await request(app).post("/v1/slips").send({ pad: "x".repeat(2000) }).expect(413);
      expect(big.body).to.include({ code: "request.too_large", status: 413 });
    });

    it("answers 500 internal without leaking the message, and logs it", async () => {
      const { app, lines } = buildApp();
      const res = await request(app).get("/v1/boom").expect(500);
      expect(res.body).to.deep.equal({
        type: "urn:credence:problem:internal",
        title: "Internal error",
        status: 500,
        code: "internal",
        instance: "/v1/boom",
      });
      expect(JSON.stringify(res.body)).not.to.contain("hunter2");
      expect(lines.some((l) => l.msg === "unhandled error" && l.level === 50)).to.equal(true);
    });

    it("answers 404 route.not_found for an unknown route", async () => {
      const res = await request(buildApp().app).get("/v1/nothing").expect(404);
      expect(res.body).to.include({ code: "route.not_found", status: 404 });
    });
  });

  describe("request ids and logs", () => {
    it("keeps a safe x-request-id and replaces an unsafe one", async () => {
      const { app, lines } = buildApp();
      const kept = await request(app).get("/v1/slips/1").set("x-request-id", "term-42.abc").expect(200);
      expect(kept.headers["x-request-id"]).to.equal("term-42.abc");
      const replaced = await request(app).get("/v1/slips/1").set("x-request-id", "<script>alert(1)</script>").expect(200);
      expect(replaced.headers["x-request-id"]).to.match(/^[0-9a-f-]{36}$/);
      expect(lines.filter((l) => l.msg === "request completed").map((l) => (l.req as { id: string }).id)).to.include("term-42.abc");
      expect(requestIdFor("x".repeat(65))).to.have.length(36);
    });

    it("logs terminal successes at debug and failures at warn", async () => {
      const { app, lines } = buildApp();
      await request(app).get("/v1/slips/1").expect(200);
      await request(app).get("/v1/nothing").expect(404);
      const levels = lines.filter((l) => l.msg === "request completed").map((l) => [(l.req as { path: string }).path, l.level]);
      expect(levels).to.deep.equal([
        ["/v1/slips/1", 20],
        ["/v1/nothing", 40],
      ]);
    });

    it("logs the path without query string and never the authorization header", async () => {
      const { app, lines } = buildApp();
      await request(app).get("/v1/slips/7?card=secret-card").set("Authorization", "Bearer top-secret").expect(200);
      const text = JSON.stringify(lines);
      expect(text).to.contain('"path":"/v1/slips/7"');
      expect(text).not.to.contain("top-secret");
      expect(text).not.to.contain("secret-card");
    });

    it("redacts passwords, personal data and private keys at any depth", () => {
      const { lines, logger } = captureLogs();
      logger.info(
        {
          password: "p1",
          holder: { name: "Li Wei", nationalId: "110101", photo: "AAAA", card: { privateKey: "0xkey" } },
          headers: { authorization: "Bearer t", cookie: "sid=1" },
          amount: "100",
        },
        "probe",
      );
      const line = JSON.stringify(lines[0]);
      for (const secret of ["p1", "Li Wei", "110101", "AAAA", "0xkey", "Bearer t", "sid=1"]) expect(line).not.to.contain(secret);
      expect(lines[0]).to.deep.include({ amount: "100", password: "[redacted]" });
    });
  });

  describe("metrics", () => {
    it("counts requests by route template, method and status, and serves Prometheus text", async () => {
      const { app } = buildApp();
      await request(app).get("/v1/slips/1").expect(200);
      await request(app).get("/v1/slips/2").expect(200);
      await request(app).get("/v1/nothing").expect(404);
      await request(app).get("/v1/boom").expect(500);
      const res = await request(app).get("/metrics").expect(200);
      expect(res.headers["content-type"]).to.match(/^text\/plain/);
      expect(res.text).to.contain('http_requests_total{route="/v1/slips/:id",method="GET",status="200"} 2');
      expect(res.text).to.contain('http_requests_total{route="unmatched",method="GET",status="404"} 1');
      expect(res.text).to.contain('http_requests_total{route="/v1/boom",method="GET",status="500"} 1');
      for (const name of ["submissions_total", "batch_size", "time_to_confirm_seconds"]) expect(res.text).to.contain(`# TYPE ${name}`);
    });

    describe("who may read them", () => {
      /** An app serving /metrics as createApp does, behind the client check, on a real socket. */
      async function serve(allow: string[], trustProxy?: string) {
        const metrics = createMetrics({ defaultMetrics: false });
        const app = express();
        if (trustProxy) app.set("trust proxy", trustProxy);
        app.get("/metrics", metricsClients(allow.map((a) => parseAddressRange(a)!)), metricsHandler(metrics));
        app.use(notFoundHandler);
        app.use(problemHandler);
        const server = await new Promise<http.Server>((resolve) => {
          const s = app.listen(0, "127.0.0.1", () => resolve(s));
        });
        const port = (server.address() as AddressInfo).port;
        /** The status of GET `path` from a socket bound to `from`. */
        const get = (from: string, path = "/metrics", headers: Record<string, string> = {}) =>
          new Promise<{ status: number; body: string }>((resolve, reject) => {
            http
              .get({ host: "127.0.0.1", port, path, localAddress: from, headers }, (res) => {
                let body = "";
                res.setEncoding("utf8").on("data", (c: string) => (body += c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
              })
              .on("error", reject);
          });
        return { get, close: () => new Promise((resolve) => server.close(resolve)) };
      }

      it("serves loopback clients by default", async () => {
        const app = await serve(LOOPBACK_CLIENTS.map((r) => `${r.address}/${r.prefix}`));
        try {
          expect((await app.get("127.0.0.1")).status).to.equal(200);
          expect((await app.get("127.0.0.2")).status).to.equal(200);
        } finally {
          await app.close();
        }
      });

      it("answers a client outside the list exactly as an unknown path: 404", async () => {
        const app = await serve(["127.0.0.2/32"]);
        try {
          expect((await app.get("127.0.0.2")).status).to.equal(200);
          const refused = await app.get("127.0.0.1");
          const unknown = await app.get("127.0.0.1", "/metricz");
          expect(refused.status).to.equal(404);
          expect(JSON.parse(refused.body).code).to.equal(JSON.parse(unknown.body).code);
        } finally {
          await app.close();
        }
      });

      it("decides on the socket's peer address, ignoring X-Forwarded-For unless proxies are trusted", async () => {
        const untrusting = await serve(["192.0.2.0/24"]);
        const trusting = await serve(["192.0.2.0/24"], "loopback");
        try {
          expect((await untrusting.get("127.0.0.1", "/metrics", { "x-forwarded-for": "192.0.2.7" })).status).to.equal(404);
          expect((await trusting.get("127.0.0.1", "/metrics", { "x-forwarded-for": "192.0.2.7" })).status).to.equal(200);
          expect((await trusting.get("127.0.0.1", "/metrics", { "x-forwarded-for": "198.51.100.1" })).status).to.equal(404);
        } finally {
          await untrusting.close();
          await trusting.close();
        }
      });
    });

    it("includes the default process metrics unless disabled", async () => {
      const text = await createMetrics().registry.metrics();
      expect(text).to.contain("process_cpu_user_seconds_total");
    });
  });
});
