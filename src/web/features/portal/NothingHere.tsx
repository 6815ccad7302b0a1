/** What any account but the signed-in one shows: nothing (the gateway answered 404). */
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Page } from "../../shared/shell/Page";
import { ApiProblem } from "../../shared/api/client";
import { ProblemMessage } from "./Problem";

export function NothingHere() {
  const { t } = useTranslation();
  return (
    <Page title={t("portal.notFound.title")}>
      <p>{t("portal.notFound.body")}</p>
    </Page>
  );
}

/** A view's page until its data is there: loading, its problem, or nothing for a 404. */
export function Unloaded({ title, view }: { title: string; view: { isPending: boolean; error: unknown } }): ReactNode {
  const { t } = useTranslation();
  if (view.error instanceof ApiProblem && view.error.status === 404) return <NothingHere />;
  return <Page title={title}>{view.isPending ? <p>{t("common.loading")}</p> : <ProblemMessage error={view.error} />}</Page>;
}
