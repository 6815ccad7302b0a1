/**
 * The portal's two charts, each beside the table that is its text alternative: a consumer's
 * balance over the latest page of history, and a merchant's settlements, refunds and redemptions
 * per day over the latest page of days.
 */
import { useMemo } from "react";
import { useTranslation } from "react-i18next";
import { useHistory, useMerchantDays } from "./api";
import { TimeChart, type ChartSeries } from "./TimeChart";

/** Dark enough for 4.5:1 on a white card: the legend writes each series' name in its colour. */
const COLOURS = ["#1d4ed8", "#b45309", "#047857"] as const;

/** What a movement does to the balance (history entries carry unsigned points). */
const SIGN: Record<string, 1n | -1n> = { earned: 1n, reversed_refund: -1n, reversed_correction: -1n, redeemed: -1n };

export function BalanceChart({ account, balance }: { account: string; balance: string }) {
  const { t } = useTranslation();
  const history = useHistory(account, undefined, undefined);
  const points = useMemo(() => {
    // Entries are newest first: walk back from today's balance to the balance after each one.
    const entries = history.data?.entries ?? [];
    let after = BigInt(balance);
    const out: { time: number; balance: number }[] = [];
    for (const e of entries) {
      out.push({ time: e.time, balance: Number(after) });
      after -= (SIGN[e.movement] ?? 0n) * BigInt(e.points);
    }
    out.reverse();
    return { times: out.map((p) => p.time), series: [{ label: t("portal.chart.balance"), values: out.map((p) => p.balance), colour: COLOURS[0] }] as ChartSeries[] };
  }, [history.data, balance, t]);
  if (points.times.length === 0) return null;
  return (
    <section aria-labelledby="balance-chart-heading" className="card">
      <h2 id="balance-chart-heading">{t("portal.chart.balanceTitle")}</h2>
      <TimeChart label={t("portal.chart.balanceLabel")} times={points.times} series={points.series} stepped />
      <p className="hint">{t("portal.chart.balanceAlternative")}</p>
    </section>
  );
}

export function DaysChart({ merchantId }: { merchantId: string }) {
  const { t } = useTranslation();
  const days = useMerchantDays(merchantId, undefined);
  const data = useMemo(() => {
    const byDay = new Map<string, { settlements: number; refunds: number; redemptions: number }>();
    for (const d of days.data?.days ?? []) {
      const day = byDay.get(d.day) ?? { settlements: 0, refunds: 0, redemptions: 0 };
      day.settlements += d.settlements;
      day.refunds += d.refunds;
      day.redemptions += d.redemptions;
      byDay.set(d.day, day);
    }
    const sorted = [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b));
    return {
      times: sorted.map(([day]) => Date.parse(`${day}T00:00:00Z`) / 1000),
      series: [
        { label: t("portal.days.settlements"), values: sorted.map(([, v]) => v.settlements), colour: COLOURS[0] },
        { label: t("portal.days.refunds"), values: sorted.map(([, v]) => v.refunds), colour: COLOURS[1] },
        { label: t("portal.chart.redemptions"), values: sorted.map(([, v]) => v.redemptions), colour: COLOURS[2] },
      ] as ChartSeries[],
    };
  }, [days.data, t]);
  if (data.times.length === 0) return null;
  return (
    <section aria-labelledby="days-chart-heading" className="card">
      <h2 id="days-chart-heading">{t("portal.chart.daysTitle")}</h2>
      <TimeChart label={t("portal.chart.daysLabel")} times={data.times} series={data.series} />
      <p className="hint">{t("portal.chart.daysAlternative")}</p>
    </section>
  );
}
