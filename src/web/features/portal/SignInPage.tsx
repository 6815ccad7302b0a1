/** Sign-in with the account name the bank gave and the password chosen at activation. */
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Page } from "../../shared/shell/Page";
import { Link, useRoute } from "../../shared/shell/router";
import { ProblemMessage } from "./Problem";
import { homeOf, usePasskeySignIn, useSignIn } from "./api";

/** `activated`: the account just activated (named in a notice and filled in). */
export function SignInPage({ activated }: { activated?: string }) {
  const { t } = useTranslation();
  const signIn = useSignIn();
  const passkey = usePasskeySignIn();
  const { navigate } = useRoute();
  const [account, setAccount] = useState(activated ?? "");
  const [password, setPassword] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ account: account.trim(), password }, { onSuccess: (a) => navigate(homeOf(a)) });
  };
  return (
    <Page title={t("portal.signIn.title")}>
      {activated && (
        <p role="status" className="message message-status">
          {t("portal.activate.done", { account: activated })}
        </p>
      )}
      <form className="form" onSubmit={submit}>
        <label htmlFor="account">{t("portal.fields.account")}</label>
        <p id="account-hint" className="hint">
          {t("portal.fields.accountHint")}
        </p>
        <input id="account" name="username" autoComplete="username" aria-describedby="account-hint" required value={account} onChange={(e) => setAccount(e.target.value)} />
        <label htmlFor="password">{t("portal.fields.password")}</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {t("portal.signIn.action")}
        </button>
      </form>
      <ProblemMessage error={signIn.error} />
      <p>{t("portal.passkey.orSignIn")}</p>
      <button type="button" onClick={() => passkey.mutate(undefined, { onSuccess: (a) => navigate(homeOf(a)) })} disabled={passkey.isPending}>
        {t("portal.passkey.signIn")}
      </button>
      <ProblemMessage error={passkey.error} />
      <p>
        {t("portal.signIn.firstTime")} <Link to="activate">{t("portal.nav.activate")}</Link>
      </p>
    </Page>
  );
}
