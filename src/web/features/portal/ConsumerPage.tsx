/** A consumer's own card: masked number, status, points, credit, and the history page by page. */
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Page } from "../../shared/shell/Page";
import { ProblemMessage } from "./Problem";
import { CreditFacts } from "./CreditFacts";
import { useConsumer, useHistory, type MovementFilter } from "./api";
import { formatAmount, formatDay, formatPoints } from "./format";
import { Unloaded } from "./NothingHere";
import { ScrollTable } from "./ScrollTable";
import { AddPasskey } from "./AddPasskey";
import { ReportLost } from "./ReportLost";
import { BalanceChart } from "./Charts";

export function ConsumerPage({ account }: { account: string }) {
  const { t, i18n } = useTranslation();
  const view = useConsumer(account);
  if (!view.data) return <Unloaded title={t("portal.consumer.title")} view={view} />;
  const v = view.data;
  return (
    <Page title={t("portal.consumer.title")}>
      <section aria-labelledby="card-heading" className="card">
        <h2 id="card-heading">{t("portal.consumer.card")}</h2>
        <dl className="facts">
          <dt>{t("portal.consumer.number")}</dt>
          <dd className="mono">{v.card.masked}</dd>
          <dt>{t("portal.consumer.status")}</dt>
          <dd>{t(`portal.status.${v.card.status}`)}</dd>
          <dt>{t("portal.consumer.account")}</dt>
          <dd>{v.account}</dd>
        </dl>
      </section>
      <section aria-labelledby="points-heading" className="card">
        <h2 id="points-heading">{t("portal.consumer.points")}</h2>
        <p className="balance">
          {t("portal.consumer.balance")}: <strong data-testid="balance">{formatPoints(v.points.balance, i18n.language)}</strong>
        </p>
        <dl className="facts">
          <dt>{t("portal.consumer.earned")}</dt>
          <dd>{formatPoints(v.points.earned, i18n.language)}</dd>
          <dt>{t("portal.consumer.reversed")}</dt>
          <dd>{formatPoints(v.points.reversed, i18n.language)}</dd>
          <dt>{t("portal.consumer.redeemed")}</dt>
          <dd>{formatPoints(v.points.redeemed, i18n.language)}</dd>
        </dl>
      </section>
      <section aria-labelledby="credit-heading" className="card">
        <h2 id="credit-heading">{t("portal.credit.title")}</h2>
        <CreditFacts credit={v.credit} />
      </section>
      <BalanceChart account={account} balance={v.points.balance} />
      <History account={account} />
      <ReportLost account={account} status={v.card.status} />
      <AddPasskey />
    </Page>
  );
}

function History({ account }: { account: string }) {
  const { t, i18n } = useTranslation();
  // The pages seen so far, newest first: each is the block the one after it ends before.
  const [pages, setPages] = useState<(number | undefined)[]>([undefined]);
  const [movement, setMovement] = useState<MovementFilter>();
  const before = pages[pages.length - 1];
  const history = useHistory(account, before, movement);
  return (
    <section aria-labelledby="history-heading" className="card">
      <h2 id="history-heading">{t("portal.history.title")}</h2>
      <div className="form">
        <label htmlFor="movement-filter">{t("portal.history.show")}</label>
        <select
          id="movement-filter"
          value={movement ?? ""}
          onChange={(e) => {
            setMovement((e.target.value || undefined) as MovementFilter | undefined);
            setPages([undefined]);
          }}
        >
          <option value="">{t("portal.history.all")}</option>
          <option value="earned">{t("portal.movements.earned")}</option>
          <option value="reversed">{t("portal.history.reversed")}</option>
          <option value="redeemed">{t("portal.movements.redeemed")}</option>
        </select>
      </div>
      {history.isPending && <p>{t("common.loading")}</p>}
      <ProblemMessage error={history.error} />
      {history.data && history.data.entries.length === 0 && <p>{t("portal.history.empty")}</p>}
      {history.data && history.data.entries.length > 0 && (
        <ScrollTable label={t("portal.history.caption")} caption>
          <thead>
            <tr>
              <th scope="col">{t("portal.history.date")}</th>
              <th scope="col">{t("portal.history.movement")}</th>
              <th scope="col">{t("portal.history.merchant")}</th>
              <th scope="col">{t("portal.history.amount")}</th>
              <th scope="col">{t("portal.history.points")}</th>
            </tr>
          </thead>
          <tbody>
            {history.data.entries.map((e) => (
              <tr key={`${e.block}-${e.orderId}-${e.movement}`}>
                <td>{formatDay(e.time, i18n.language)}</td>
                <td>{t(`portal.movements.${e.movement}`)}</td>
                <td>{e.merchantName ?? t("portal.history.merchantNumber", { id: e.merchantId })}</td>
                <td>{e.amount === undefined ? "" : formatAmount(e.amount, i18n.language)}</td>
                <td>{formatPoints(e.points, i18n.language)}</td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      )}
      <div className="actions">
        {pages.length > 1 && (
          <button type="button" onClick={() => setPages(pages.slice(0, -1))}>
            {t("portal.history.newer")}
          </button>
        )}
        {history.data?.nextBefore != null && (
          <button type="button" onClick={() => setPages([...pages, history.data!.nextBefore!])}>
            {t("portal.history.older")}
          </button>
        )}
      </div>
    </section>
  );
}
