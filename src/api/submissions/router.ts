/**
 * Terminal endpoints: order slips, settlements, refunds, redemptions and their status.
 * Terminals authenticate by signature (every submission is signed by a registered terminal key),
 * so these routes carry no bearer token.
 */
import { Router } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { EventEmitter } from "node:events";
import { defineRoute } from "../route";
import { idParam } from "../schemas";
import { isFinal, type SubmissionService, type Accepted } from "./service";
import type { SlipService } from "../slips/service";
import {
  redemptionBody,
  refundBody,
  settlementBody,
  slipBody,
  slipView,
  statusQuery,
  submissionView,
} from "./schemas";

export interface SubmissionRoutesDeps {
  submissions: SubmissionService;
  slips: SlipService;
  /** Emits "outcome" with submission IDs that reached a final status. */
  outcomes: EventEmitter;
  /** Called after a new submission is stored (to count it and wake the submitter). */
  onAccepted?: (kind: string) => void;
}

export function submissionRoutes(registry: OpenAPIRegistry, deps: SubmissionRoutesDeps): Router {
  const router = Router();
  const accepted = (a: Accepted) => {
    if (!a.duplicate) deps.onAccepted?.(a.submission.kind);
    const statusUrl = `/v1/submissions/${a.submission.id}`;
    return {
      status: a.duplicate ? 200 : 202,
      headers: { Location: statusUrl },
      body: { id: a.submission.id, status: a.submission.status, duplicate: a.duplicate, statusUrl },
    };
  };
  const acceptedResponse = {
    202: { description: "Accepted: stored durably, will be recorded on the ledger" },
    200: { description: "The same submission was accepted before (idempotent retry)" },
  };

  defineRoute(
    router,
    registry,
    { method: "post", path: "/v1/slips", summary: "Create an order slip; returns its ID and canonical hash", tags: ["terminals"], body: slipBody, responses: { 201: { description: "Stored", schema: slipView } } },
    async ({ body }) => {
      const stored = await deps.slips.create(body);
      return { status: 201, body: slipReply(stored) };
    },
  );

  defineRoute(
    router,
    registry,
    { method: "get", path: "/v1/slips/:id", summary: "Read an order slip", tags: ["terminals"], params: idParam, responses: { 200: { description: "The slip", schema: slipView } } },
    async ({ params }) => ({ status: 200, body: slipReply(await deps.slips.get(params.id)) }),
  );

  defineRoute(
    router,
    registry,
    { method: "post", path: "/v1/settlements", summary: "Submit a settlement signed by the terminal and the card", tags: ["terminals"], body: settlementBody, responses: acceptedResponse },
    async ({ body }) => accepted(await deps.submissions.submitSettlement(body)),
  );

  defineRoute(
    router,
    registry,
    { method: "post", path: "/v1/refunds", summary: "Submit a terminal-signed refund of a settled order", tags: ["terminals"], body: refundBody, responses: acceptedResponse },
    async ({ body }) => accepted(await deps.submissions.submitRefund(body)),
  );

  defineRoute(
    router,
    registry,
    { method: "post", path: "/v1/redemptions", summary: "Submit a redemption signed by the terminal and the card", tags: ["terminals"], body: redemptionBody, responses: acceptedResponse },
    async ({ body }) => accepted(await deps.submissions.submitRedemption(body)),
  );

  defineRoute(
    router,
    registry,
    {
      method: "get",
      path: "/v1/submissions/:id",
      summary: "Status of a settlement, refund or redemption (optionally wait for a final one)",
      tags: ["terminals"],
      params: idParam,
      query: statusQuery,
      responses: { 200: { description: "Current status", schema: submissionView } },
    },
    async ({ params, query }) => {
      // Listen before reading, so an outcome between the read and the wait is not missed.
      const wait = query.waitMs ? waitForOutcome(deps.outcomes, params.id, query.waitMs) : undefined;
      try {
        let view = await deps.submissions.status(params.id);
        if (wait && !isFinal(view.status)) {
          await wait.promise;
          view = await deps.submissions.status(params.id);
        }
        return { status: 200, body: view };
      } finally {
        wait?.cancel();
      }
    },
  );

  return router;
}

function slipReply(s: Awaited<ReturnType<SlipService["get"]>>) {
  return {
    id: s.id,
    slipHash: s.record.slipHash,
    orderId: s.record.orderId,
    merchantId: s.merchantId,
    settlement: { ...s.record, amount: s.record.amount.toString(), time: s.record.time.toString() },
    slip: s.slip,
  };
}

function waitForOutcome(outcomes: EventEmitter, id: string, waitMs: number) {
  let cancel = () => {};
  const promise = new Promise<void>((resolve) => {
    const onOutcome = (ids: string[]) => {
      if (ids.includes(id)) cancel();
    };
    const timer = setTimeout(() => cancel(), waitMs);
    cancel = () => {
      clearTimeout(timer);
      outcomes.off("outcome", onOutcome);
      resolve();
    };
    outcomes.on("outcome", onOutcome);
  });
  return { promise, cancel: () => cancel() };
}
