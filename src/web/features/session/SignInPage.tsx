import { useTranslation } from "react-i18next";
import { Page } from "../../shared/shell/Page";
import { Link, useRoute } from "../../shared/shell/router";
import { ErrorMessage } from "../../shared/shell/Status";
import { useSignIn } from "./api";

export function SignInPage() {
  const { t } = useTranslation();
  const signIn = useSignIn();
  const { navigate } = useRoute();
  return (
    <Page title={t("signIn.title")}>
      <p>{t("signIn.intro")}</p>
      <button type="button" className="primary" onClick={() => signIn.mutate(undefined, { onSuccess: () => navigate("proposals") })} disabled={signIn.isPending}>
        {signIn.isPending ? t("signIn.waiting") : t("signIn.action")}
      </button>
      <ErrorMessage error={signIn.error} />
      <p>
        {t("signIn.noPasskey")} <Link to="enrol">{t("nav.enrol")}</Link>
      </p>
    </Page>
  );
}
