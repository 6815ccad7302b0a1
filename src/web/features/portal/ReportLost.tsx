/**
 * "Report my card lost": freezes the holder's card at once, after a confirmation step. Only the
 * bank unfreezes it, so the page says so. Keyboard: the confirmation takes the focus when it
 * opens, and Cancel gives it back to the button.
 */
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ProblemMessage } from "./Problem";
import { useReportLost } from "./api";

export function ReportLost({ account, status }: { account: string; status: "none" | "active" | "frozen" | "closed" }) {
  const { t } = useTranslation();
  const [confirming, setConfirming] = useState(false);
  const report = useReportLost(account);
  const opener = useRef<HTMLButtonElement>(null);
  const question = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (confirming) question.current?.focus();
  }, [confirming]);
  if (status === "closed" || status === "none") return null;
  return (
    <section aria-labelledby="lost-heading" className="card">
      <h2 id="lost-heading">{t("portal.lost.title")}</h2>
      {status === "frozen" ? (
        <p role="status" data-testid="lost-done">
          {report.isSuccess ? t("portal.lost.done") : t("portal.lost.frozen")}
        </p>
      ) : confirming ? (
        <div role="group" aria-labelledby="lost-question">
          <p id="lost-question" ref={question} tabIndex={-1}>
            {t("portal.lost.question")}
          </p>
          <div className="actions">
            <button type="button" className="danger" disabled={report.isPending} onClick={() => report.mutate()}>
              {report.isPending ? t("portal.lost.freezing") : t("portal.lost.confirm")}
            </button>
            <button
              type="button"
              disabled={report.isPending}
              onClick={() => {
                setConfirming(false);
                requestAnimationFrame(() => opener.current?.focus());
              }}
            >
              {t("portal.lost.cancel")}
            </button>
          </div>
          <ProblemMessage error={report.error} />
        </div>
      ) : (
        <>
          <p>{t("portal.lost.intro")}</p>
          <button type="button" ref={opener} onClick={() => setConfirming(true)}>
            {t("portal.lost.report")}
          </button>
        </>
      )}
    </section>
  );
}
