/** A merchant's settlements, refunds and redemptions by day and terminal, page by page, with a CSV of each page. */
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ProblemMessage } from "./Problem";
import { ScrollTable } from "./ScrollTable";
import { useMerchantDays } from "./api";
import { formatAmount, formatPoints } from "./format";

export function MerchantDays({ merchantId }: { merchantId: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [pages, setPages] = useState<(number | undefined)[]>([undefined]);
  const before = pages[pages.length - 1];
  const days = useMerchantDays(merchantId, before);
  const csv = `/v1/portal/merchants/${merchantId}/days.csv${before === undefined ? "" : `?before=${before}`}`;
  return (
    <section aria-labelledby="days-heading" className="card">
      <h2 id="days-heading">{t("portal.days.title")}</h2>
      {days.isPending && <p>{t("common.loading")}</p>}
      <ProblemMessage error={days.error} />
      {days.data && days.data.days.length === 0 && <p>{t("portal.days.empty")}</p>}
      {days.data && days.data.days.length > 0 && (
        <ScrollTable label={t("portal.days.title")}>
          <thead>
            <tr>
              <th scope="col">{t("portal.days.day")}</th>
              <th scope="col">{t("portal.merchant.terminal")}</th>
              <th scope="col">{t("portal.days.settlements")}</th>
              <th scope="col">{t("portal.days.amount")}</th>
              <th scope="col">{t("portal.merchant.pointsGranted")}</th>
              <th scope="col">{t("portal.merchant.creditPoints")}</th>
              <th scope="col">{t("portal.days.refunds")}</th>
              <th scope="col">{t("portal.days.redeemed")}</th>
            </tr>
          </thead>
          <tbody>
            {days.data.days.map((d) => (
              <tr key={`${d.day} ${d.terminal}`}>
                <th scope="row">{d.day}</th>
                <td className="mono">{`${d.terminal.slice(0, 6)}…${d.terminal.slice(-4)}`}</td>
                <td>{d.settlements}</td>
                <td>{formatAmount(d.amount, lang)}</td>
                <td>{formatPoints(d.points, lang)}</td>
                <td>{formatPoints(d.creditPoints, lang)}</td>
                <td>{t("portal.days.refundsValue", { count: d.refunds, amount: formatAmount(d.refundAmount, lang) })}</td>
                <td>{formatPoints(d.pointsRedeemed, lang)}</td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      )}
      <div className="actions">
        <a href={csv} download>
          {t("portal.days.csv")}
        </a>
        {pages.length > 1 && (
          <button type="button" onClick={() => setPages(pages.slice(0, -1))}>
            {t("portal.history.newer")}
          </button>
        )}
        {days.data?.nextBefore != null && (
          <button type="button" onClick={() => setPages([...pages, days.data!.nextBefore!])}>
            {t("portal.history.older")}
          </button>
        )}
      </div>
    </section>
  );
}
