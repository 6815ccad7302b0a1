/** Outcome messages: errors are announced at once (role alert), progress politely (role status). */
import { useTranslation } from "react-i18next";
import { ApiProblem } from "../api/client";
import { DraftRefused } from "../chain/drafts";

export function ErrorMessage({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  let text: string;
  if (error instanceof DraftRefused) text = t("refused.title", { reason: t(`refused.${error.reason}`) });
  else if (error instanceof ApiProblem) text = t(`errors.${error.code}`, { defaultValue: t("errors.generic", { code: error.code }) });
  else if (error instanceof Error && error.name === "NotAllowedError") text = t("errors.passkey_cancelled");
  else text = t("errors.unexpected");
  return (
    <p role="alert" className="message message-error">
      {text}
    </p>
  );
}

export function StatusMessage({ children }: { children: string | undefined }) {
  return (
    <p role="status" className="message message-status">
      {children}
    </p>
  );
}
