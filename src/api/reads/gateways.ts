/**
 * GET /v1/gateways, for operators (ADR 0007): per gateway key (sender), its lease (when it
 * expires, who adopted it), the submissions its unanswered ledger transactions carry, those
 * transactions, and the age of the oldest submission not yet answered; and the submissions
 * queued for any gateway. An operator sees a stranded settlement here before a terminal does.
 */
import { Router } from "express";
import { z } from "zod";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { defineRoute } from "../route";
import { requireSession } from "../operator-session/router";
import type { OperatorSessions } from "../operator-session/service";
import { address } from "../schemas";
import type { Db } from "../../store/db";
import { listLeases } from "../../store/leases";
import { outboxHealth } from "../../store/outbox-health";

const seconds = z.number().nonnegative().openapi({ description: "Seconds since the oldest of them was accepted" });

export const gatewaysSchema = z
  .object({
    gateways: z.array(
      z.object({
        sender: address.openapi({ description: "The gateway key that signs this gateway's ledger transactions" }),
        lease: z
          .object({
            instance: z.string().openapi({ description: "Host name and process ID of the gateway holding it" }),
            renewedAt: z.iso.datetime(),
            expiresAt: z.iso.datetime(),
            lapsed: z.boolean().openapi({ description: "Expired unrenewed: a live gateway adopts it within a third of LEASE_SECONDS" }),
            adoptedBy: address.nullable().openapi({ description: "The gateway that adopted its unfinished work; the key is then retired" }),
            adoptedAt: z.iso.datetime().nullable(),
          })
          .nullable()
          .openapi({ description: "None once the gateway stopped cleanly with nothing unfinished" }),
        submitted: z.number().int().nonnegative().openapi({ description: "Submissions its unanswered ledger transactions carry" }),
        sentTransactions: z.number().int().nonnegative().openapi({ description: "Its ledger transactions signed and not yet answered by the chain" }),
        oldestUnansweredSeconds: seconds.nullable(),
      }),
    ),
    queued: z
      .object({ items: z.number().int().nonnegative(), oldestSeconds: seconds.nullable() })
      .openapi({ description: "Submissions waiting for any gateway to claim them" }),
  })
  .openapi("Gateways");

export type GatewaysView = z.infer<typeof gatewaysSchema>;

/** The leases and the outbox, side by side, per sender. */
export async function gatewaysView(db: Db): Promise<GatewaysView> {
  const [leases, health] = await Promise.all([listLeases(db), outboxHealth(db)]);
  const senders = new Map<string, GatewaysView["gateways"][number]>();
  const entry = (sender: string) => {
    let e = senders.get(sender);
    if (!e) senders.set(sender, (e = { sender, lease: null, submitted: 0, sentTransactions: 0, oldestUnansweredSeconds: null }));
    return e;
  };
  for (const l of leases) {
    entry(l.sender).lease = {
      instance: l.instance,
      renewedAt: l.renewedAt.toISOString(),
      expiresAt: l.expiresAt.toISOString(),
      lapsed: l.lapsed,
      adoptedBy: l.adoptedBy,
      adoptedAt: l.adoptedAt?.toISOString() ?? null,
    };
  }
  const queued: GatewaysView["queued"] = { items: 0, oldestSeconds: null };
  for (const h of health) {
    if (h.sender === null) {
      queued.items += h.items;
      queued.oldestSeconds = Math.max(queued.oldestSeconds ?? 0, h.oldestSeconds);
      continue;
    }
    const e = entry(h.sender);
    e.submitted += h.items;
    e.sentTransactions += h.transactions;
    e.oldestUnansweredSeconds = Math.max(e.oldestUnansweredSeconds ?? 0, h.oldestSeconds);
  }
  return { gateways: [...senders.values()].sort((a, b) => a.sender.localeCompare(b.sender)), queued };
}

export function gatewayRoutes(registry: OpenAPIRegistry, sessions: OperatorSessions, db: Db): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: "get",
      path: "/v1/gateways",
      summary: "Each gateway's lease, unanswered transactions and oldest unanswered submission, and the queue",
      tags: ["reads"],
      guard: requireSession(sessions),
      secured: true,
      responses: { 200: { description: "Gateways and the queue", schema: gatewaysSchema } },
    },
    async () => ({ status: 200, body: await gatewaysView(db) }),
  );
  return router;
}
