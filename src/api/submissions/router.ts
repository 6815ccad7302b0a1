/**
 * Terminal endpoints: order slips, settlements, refunds, redemptions and their status.
 * Terminals authenticate by signature (every submission is signed by a registered terminal key),
 * so these routes carry no bearer token.
 */
import { Router, type Request } from "express";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { EventEmitter } from "node:events";
import { defineRoute, type Reply } from "../route";
import { idParam } from "../schemas";
import type { SubmissionIds } from "./public-ids";
import { finalView, isFinal, submissionNotFound, type SubmissionService, type Accepted, type SubmissionStatusView } from "./service";
import { OutcomeWaiters } from "./outcome-waiters";
import type { SlipService } from "../slips/service";
import {
  acceptedView,
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
  /** Emits "outcome" with submission IDs that reached a final status (and, optionally, their FinalOutcomes). */
  outcomes: EventEmitter;
  /** Called after a new submission is stored (to count it and wake the submitter). */
  onAccepted?: (kind: string) => void;
  /** The IDs terminals are given (the service's). */
  ids: SubmissionIds;
}

export function submissionRoutes(registry: OpenAPIRegistry, deps: SubmissionRoutesDeps): Router {
  const router = Router();
  /**
   * The answer to an accepted submission. With `Prefer: wait=N` (RFC 7240, seconds, at most 30)
   * the answer waits up to N s for the final status and carries it as `outcome`: a terminal
   * learns the points in one request instead of a submit and a status poll. The submission is
   * durably stored before any waiting, as without the header.
   */
  const waiters = new OutcomeWaiters(deps.outcomes);
  const { ids } = deps;
  /** A submission as terminals name it: its public ID and status URL. */
  const named = (rowId: string) => {
    const id = ids.toPublic(rowId);
    return { id, statusUrl: `/v1/submissions/${id}` };
  };
  const shown = (view: SubmissionStatusView) => ({ ...view, ...named(view.id) });
  const accepted = async (a: Accepted, req: Request): Promise<Reply> => {
    if (!a.duplicate) deps.onAccepted?.(a.submission.kind);
    const { id, statusUrl } = named(a.submission.id);
    const waitMs = preferredWaitMs(req.get("prefer"));
    const reply = (status: string, outcome?: unknown, applied?: number) => ({
      status: a.duplicate ? 200 : 202,
      headers: { Location: statusUrl, ...(applied === undefined ? {} : { "Preference-Applied": `wait=${applied}` }) },
      body: { id, status, duplicate: a.duplicate, statusUrl, ...(outcome ? { outcome } : {}) },
    });
    if (waitMs === undefined) return reply(a.submission.status);
    // A submission stored just now is queued: no status read before the wait. Its outcome
    // cannot have come yet (recording it takes store round trips; this runs in the same turn).
    const waited = a.duplicate ? undefined : await waiters.wait(a.submission.id, waitMs).result;
    let view: SubmissionStatusView;
    if (waited === undefined) view = await statusWithin(a.submission.id, waitMs); // a retry: it may be final already
    else if (typeof waited === "object") view = finalView(a.submission, waited);
    else view = await deps.submissions.status(a.submission.id); // final without its fields, or the wait is over
    return reply(view.status, isFinal(view.status) ? { ...view, id, statusUrl } : undefined, waitMs / 1000);
  };
  /** The submission's status, waiting up to `waitMs` for a final one. */
  const statusWithin = async (id: string, waitMs: number) => {
    const wait = waitMs > 0 ? waiters.wait(id, waitMs) : undefined;
    try {
      const view = await deps.submissions.status(id);
      if (!wait || isFinal(view.status)) return view;
      const waited = await wait.result;
      return waited === "timeout" ? view : await deps.submissions.status(id);
    } finally {
      wait?.cancel();
    }
  };
  const acceptedResponse = {
    202: { description: "Accepted: stored durably, will be recorded on the ledger. With `Prefer: wait=N` (seconds, at most 30) the answer waits up to N s and carries the final status as `outcome`", schema: acceptedView },
    200: { description: "The same submission was accepted before (idempotent retry)", schema: acceptedView },
  };

  defineRoute(
    router,
    registry,
    { method: "post", path: "/v1/slips", summary: "Create an order slip signed by its terminal; returns its ID and canonical hash", tags: ["terminals"], body: slipBody, responses: { 201: { description: "Stored", schema: slipView } } },
    async ({ body }) => {
      const stored = await deps.slips.create(body.slip, body.signature);
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
    async ({ body, req }) => accepted(await deps.submissions.submitSettlement(body), req),
  );

  defineRoute(
    router,
    registry,
    { method: "post", path: "/v1/refunds", summary: "Submit a terminal-signed refund of a settled order", tags: ["terminals"], body: refundBody, responses: acceptedResponse },
    async ({ body, req }) => accepted(await deps.submissions.submitRefund(body), req),
  );

  defineRoute(
    router,
    registry,
    { method: "post", path: "/v1/redemptions", summary: "Submit a redemption signed by the terminal and the card", tags: ["terminals"], body: redemptionBody, responses: acceptedResponse },
    async ({ body, req }) => accepted(await deps.submissions.submitRedemption(body), req),
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
      const rowId = ids.toRow(params.id);
      if (!rowId) throw submissionNotFound(params.id);
      return { status: 200, body: shown(await statusWithin(rowId, query.waitMs ?? 0)) };
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

const MAX_WAIT_SECONDS = 30;

/** The `wait` preference of a Prefer header, in ms (capped), or undefined when none is asked. */
export function preferredWaitMs(prefer: string | undefined): number | undefined {
  const m = prefer && /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(prefer);
  return m ? Math.min(Number(m[1]), MAX_WAIT_SECONDS) * 1000 : undefined;
}
