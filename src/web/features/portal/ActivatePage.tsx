/** Activation (and password reset): the bank's one-time code and a new password. */
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Page } from "../../shared/shell/Page";
import { useRoute } from "../../shared/shell/router";
import { ProblemMessage } from "./Problem";
import { useActivate } from "./api";

/** Keep in step with src/auth/password-policy.ts. */
const MIN_PASSWORD_LENGTH = 10;

export function ActivatePage({ onActivated }: { onActivated: (account: string) => void }) {
  const { t } = useTranslation();
  const activate = useActivate();
  const { navigate } = useRoute();
  const [account, setAccount] = useState("");
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    activate.mutate(
      { account: account.trim(), code: code.trim(), password },
      {
        onSuccess: (result) => {
          onActivated(result.account);
          navigate("sign-in");
        },
      },
    );
  };
  return (
    <Page title={t("portal.activate.title")}>
      <p>{t("portal.activate.intro")}</p>
      <form className="form" onSubmit={submit}>
        <label htmlFor="account">{t("portal.fields.account")}</label>
        <input id="account" name="username" autoComplete="username" required value={account} onChange={(e) => setAccount(e.target.value)} />
        <label htmlFor="code">{t("portal.fields.code")}</label>
        <input id="code" autoComplete="one-time-code" spellCheck={false} required value={code} onChange={(e) => setCode(e.target.value)} />
        <label htmlFor="new-password">{t("portal.fields.newPassword")}</label>
        <p id="password-hint" className="hint">
          {t("portal.fields.passwordHint", { min: MIN_PASSWORD_LENGTH })}
        </p>
        <input id="new-password" type="password" autoComplete="new-password" minLength={MIN_PASSWORD_LENGTH} aria-describedby="password-hint" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" className="primary" disabled={activate.isPending}>
          {t("portal.activate.action")}
        </button>
      </form>
      <ProblemMessage error={activate.error} />
    </Page>
  );
}
