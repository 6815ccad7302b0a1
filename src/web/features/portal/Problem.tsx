/** A refusal the gateway answered, in the page's language (announced at once: role alert). */
import { useTranslation } from "react-i18next";
import { ApiProblem } from "../../shared/api/client";

export function ProblemMessage({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const text =
    error instanceof ApiProblem
      ? t(`errors.${error.code}`, { defaultValue: t("errors.generic", { code: error.code }), detail: error.detail ?? "" })
      : error instanceof Error && error.name === "NotAllowedError"
        ? t("errors.passkey_cancelled")
        : t("errors.unexpected");
  return (
    <p role="alert" className="message message-error">
      {text}
    </p>
  );
}
