/** A merchant's own page: its agreement in force, points granted, credit points and credit. */
import { useTranslation } from "react-i18next";
import { Page } from "../../shared/shell/Page";
import { CreditFacts } from "./CreditFacts";
import { Unloaded } from "./NothingHere";
import { ScrollTable } from "./ScrollTable";
import { AddPasskey } from "./AddPasskey";
import { MerchantDays } from "./MerchantDays";
import { DaysChart } from "./Charts";
import { useMerchant } from "./api";
import { formatAmount, formatDay, formatPoints } from "./format";

export function MerchantPage({ merchantId }: { merchantId: string }) {
  const { t, i18n } = useTranslation();
  const view = useMerchant(merchantId);
  if (!view.data) return <Unloaded title={t("portal.merchant.title")} view={view} />;
  const m = view.data;
  const a = m.agreement;
  const lang = i18n.language;
  return (
    <Page title={m.name ? t("portal.merchant.titleNamed", { name: m.name }) : t("portal.merchant.title")}>
      <section aria-labelledby="totals-heading" className="card">
        <h2 id="totals-heading">{t("portal.merchant.totals")}</h2>
        <dl className="facts">
          <dt>{t("portal.consumer.account")}</dt>
          <dd>{m.account}</dd>
          <dt>{t("portal.merchant.state")}</dt>
          <dd>{m.active ? t("portal.merchant.active") : t("portal.merchant.inactive")}</dd>
          <dt>{t("portal.merchant.pointsGranted")}</dt>
          <dd data-testid="points-granted">{formatPoints(m.stats.pointsGranted, lang)}</dd>
          <dt>{t("portal.merchant.pointsReversed")}</dt>
          <dd>{formatPoints(m.stats.pointsReversed, lang)}</dd>
          <dt>{t("portal.merchant.creditPoints")}</dt>
          <dd data-testid="credit-points">{formatPoints(m.stats.creditPoints, lang)}</dd>
          <dt>{t("portal.merchant.pointsRedeemed")}</dt>
          <dd>{formatPoints(m.stats.pointsRedeemed, lang)}</dd>
          <dt>{t("portal.merchant.consumersServed")}</dt>
          <dd>{m.stats.consumersServed}</dd>
        </dl>
      </section>
      <DaysChart merchantId={merchantId} />
      <MerchantDays merchantId={merchantId} />
      <section aria-labelledby="agreement-heading" className="card">
        <h2 id="agreement-heading">{t("portal.merchant.agreement", { version: m.agreementVersion })}</h2>
        {a ? (
          <>
            <dl className="facts">
              <dt>{t("portal.merchant.rate")}</dt>
              <dd>{t("portal.merchant.rateValue", { points: a.baseRateBps, currency: a.currency })}</dd>
              <dt>{t("portal.merchant.cap")}</dt>
              <dd>{formatPoints(a.maxPointsPerSettlement, lang)}</dd>
              <dt>{t("portal.merchant.minimum")}</dt>
              <dd>
                {formatAmount(a.minAmount, lang)} {a.currency}
              </dd>
              <dt>{t("portal.merchant.validity")}</dt>
              <dd>{t("portal.merchant.validityValue", { from: formatDay(a.validFrom, lang), until: formatDay(a.validUntil, lang) })}</dd>
            </dl>
            <ScrollTable label={t("portal.merchant.multipliers")} caption>
              <thead>
                <tr>
                  <th scope="col">{t("portal.merchant.category")}</th>
                  <th scope="col">{t("portal.merchant.multiplier")}</th>
                </tr>
              </thead>
              <tbody>
                {a.categoryMultipliers.map((m, category) => (
                  <tr key={category}>
                    <th scope="row">{category}</th>
                    <td>{(m / 100).toFixed(2)}×</td>
                  </tr>
                ))}
              </tbody>
            </ScrollTable>
          </>
        ) : (
          <p>{t("portal.merchant.noAgreement")}</p>
        )}
      </section>
      <section aria-labelledby="history-heading" className="card">
        <h2 id="history-heading">{t("portal.merchant.history")}</h2>
        <ScrollTable label={t("portal.merchant.history")}>
          <thead>
            <tr>
              <th scope="col">{t("portal.merchant.version")}</th>
              <th scope="col">{t("portal.merchant.rate")}</th>
              <th scope="col">{t("portal.merchant.cap")}</th>
              <th scope="col">{t("portal.merchant.validity")}</th>
            </tr>
          </thead>
          <tbody>
            {m.agreementHistory.map((h) => (
              <tr key={h.version}>
                <th scope="row">{h.version}</th>
                <td>{t("portal.merchant.rateValue", { points: h.baseRateBps, currency: h.currency })}</td>
                <td>{formatPoints(h.maxPointsPerSettlement, lang)}</td>
                <td>{t("portal.merchant.validityValue", { from: formatDay(h.validFrom, lang), until: formatDay(h.validUntil, lang) })}</td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      </section>
      <section aria-labelledby="terminals-heading" className="card">
        <h2 id="terminals-heading">{t("portal.merchant.terminals")}</h2>
        <ScrollTable label={t("portal.merchant.terminals")}>
          <thead>
            <tr>
              <th scope="col">{t("portal.merchant.terminal")}</th>
              <th scope="col">{t("portal.merchant.state")}</th>
            </tr>
          </thead>
          <tbody>
            {m.terminals.map((terminal) => (
              <tr key={terminal.terminal}>
                <td className="mono">{terminal.terminal}</td>
                <td>{terminal.enabled ? t("portal.merchant.enabled") : t("portal.merchant.disabled")}</td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      </section>
      <section aria-labelledby="credit-heading" className="card">
        <h2 id="credit-heading">{t("portal.credit.title")}</h2>
        <CreditFacts credit={m.credit} />
      </section>
      <AddPasskey />
    </Page>
  );
}
