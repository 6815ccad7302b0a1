/**
 * The consumers' and merchants' portal's pages, in the shared shell: sign-in and activation for
 * everyone; the signed-in account's own page (accounts/<n> for a consumer, merchants/<n> for a
 * merchant). Another number in the path shows nothing: the gateway answers 404 for it.
 */
import { Fragment, useState } from "react";
import { useTranslation } from "react-i18next";
import { Shell, type NavItem } from "../shared/shell/Shell";
import { useRoute } from "../shared/shell/router";
import { ProblemMessage } from "../features/portal/Problem";
import { homeOf, usePortalSession, useSignOut, type PortalAccount } from "../features/portal/api";
import { SignInPage } from "../features/portal/SignInPage";
import { ActivatePage } from "../features/portal/ActivatePage";
import { ConsumerPage } from "../features/portal/ConsumerPage";
import { MerchantPage } from "../features/portal/MerchantPage";
import { NothingHere } from "../features/portal/NothingHere";

export function PortalApp() {
  const { t } = useTranslation();
  const { path, navigate } = useRoute();
  const session = usePortalSession();
  const signOut = useSignOut();
  const [activated, setActivated] = useState<string>();
  const account = session.data ?? undefined;
  const nav: NavItem[] = account
    ? [{ to: homeOf(account), label: account.kind === "consumer" ? t("portal.nav.myCard") : t("portal.nav.myMerchant") }]
    : [
        { to: "sign-in", label: t("portal.nav.signIn") },
        { to: "activate", label: t("portal.nav.activate") },
      ];
  const tools = account && (
    <div className="account">
      <span>{t("portal.signedInAs", { account: account.account })}</span>
      <button type="button" onClick={() => signOut.mutate(undefined, { onSuccess: () => navigate("sign-in") })}>
        {t("shell.signOut")}
      </button>
    </div>
  );
  return (
    <Shell title={t("portal.name")} nav={nav} account={tools}>
      <ProblemMessage error={signOut.error} />
      {session.isPending ? (
        <p>{t("common.loading")}</p>
      ) : (
        <Fragment key={path}>{page(path, account, activated, setActivated)}</Fragment>
      )}
    </Shell>
  );
}

function page(path: string, account: PortalAccount | undefined, activated: string | undefined, onActivated: (account: string) => void) {
  if (path === "activate") return <ActivatePage onActivated={onActivated} />;
  const consumer = /^accounts\/([1-9]\d{0,19})$/.exec(path);
  const merchant = /^merchants\/([1-9]\d{0,9})$/.exec(path);
  if (!account) {
    if (path === "" || path === "sign-in" || consumer || merchant) return <SignInPage activated={activated} />;
    return <NothingHere />;
  }
  if (path === "" || path === "sign-in") return account.kind === "consumer" ? <ConsumerPage account={account.subject} /> : <MerchantPage merchantId={account.subject} />;
  if (consumer) return <ConsumerPage account={consumer[1]} />;
  if (merchant) return <MerchantPage merchantId={merchant[1]} />;
  return <NothingHere />;
}
