/** The operator console's pages, in the shared shell; pages that act need a signed-in operator. */
import { Fragment } from "react";
import { useTranslation } from "react-i18next";
import type { Operator } from "../shared/api/operator-api-pending";
import { Shell, type NavItem } from "../shared/shell/Shell";
import { Page } from "../shared/shell/Page";
import { useRoute } from "../shared/shell/router";
import { ErrorMessage } from "../shared/shell/Status";
import { useSession, useSignOut } from "../features/session/api";
import { SignInPage } from "../features/session/SignInPage";
import { EnrolPage } from "../features/enrolment/EnrolPage";
import { ProposalsPage } from "../features/proposals/ProposalsPage";
import { ProposeCardPage } from "../features/cards/ProposeCardPage";
import { OperatorsPage } from "../features/operators/OperatorsPage";

export function ConsoleApp() {
  const { t } = useTranslation();
  const { path, navigate } = useRoute();
  const session = useSession();
  const signOut = useSignOut();
  const operator = session.data ?? undefined;
  const nav: NavItem[] = operator
    ? [
        { to: "proposals", label: t("nav.proposals") },
        { to: "cards/new", label: t("nav.issueCard") },
        { to: "operators", label: t("nav.operators") },
        { to: "enrol", label: t("nav.enrol") },
      ]
    : [
        { to: "sign-in", label: t("nav.signIn") },
        { to: "enrol", label: t("nav.enrol") },
      ];
  const account = operator && (
    <div className="account">
      <span>{t("shell.signedInAs", { credential: operator.credentialId, institution: t(`institutions.${operator.institution}`) })}</span>
      <button type="button" onClick={() => signOut.mutate(undefined, { onSuccess: () => navigate("sign-in") })}>
        {t("shell.signOut")}
      </button>
    </div>
  );
  return (
    <Shell title={t("app.consoleName")} nav={nav} account={account}>
      <ErrorMessage error={signOut.error} />
      {session.isPending ? <p>{t("common.loading")}</p> : <Fragment key={path}>{page(path, operator)}</Fragment>}
    </Shell>
  );
}

/** The page at `path` (below /console/) for the signed-in operator, if any. */
function page(path: string, operator: Operator | undefined) {
    if (path === "enrol") return <EnrolPage />;
    if (!operator) return path === "" || path === "sign-in" || PROTECTED.has(path) ? <SignInPage /> : <NotFound />;
    switch (path) {
      case "":
      case "sign-in":
      case "proposals":
        return <ProposalsPage operator={operator} />;
      case "cards/new":
        return <ProposeCardPage />;
      case "operators":
        return <OperatorsPage operator={operator} />;
      default:
        return <NotFound />;
    }
}

const PROTECTED = new Set(["proposals", "cards/new", "operators"]);

function NotFound() {
  const { t } = useTranslation();
  return (
    <Page title={t("notFound.title")}>
      <p>{t("notFound.body")}</p>
    </Page>
  );
}
