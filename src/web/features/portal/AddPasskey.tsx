/** Adding a passkey to the signed-in account: another way to sign in, on this device. */
import { useTranslation } from "react-i18next";
import { ProblemMessage } from "./Problem";
import { useAddPasskey } from "./api";

export function AddPasskey() {
  const { t } = useTranslation();
  const add = useAddPasskey();
  return (
    <section aria-labelledby="passkey-heading" className="card">
      <h2 id="passkey-heading">{t("portal.passkey.title")}</h2>
      <p>{t("portal.passkey.intro")}</p>
      <button type="button" onClick={() => add.mutate()} disabled={add.isPending}>
        {t("portal.passkey.add")}
      </button>
      <ProblemMessage error={add.error} />
      {add.isSuccess && (
        <p role="status" className="message message-status">
          {t("portal.passkey.added")}
        </p>
      )}
    </section>
  );
}
