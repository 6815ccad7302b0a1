/** Propose issuing a card: the other institution approves it on its own console. */
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Page } from "../../shared/shell/Page";
import { ErrorMessage, StatusMessage } from "../../shared/shell/Status";
import { useDecision } from "../decisions/api";
import { DecodedWords } from "../proposals/ActionWords";

export function ProposeCardPage() {
  const { t } = useTranslation();
  const decision = useDecision();
  const [kind, setKind] = useState<"consumer" | "merchant">("consumer");
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const [nationalId, setNationalId] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    decision.mutate({
      kind: "propose",
      target: "registry",
      function: "issueCard",
      args: { kind, key, holder: { name, nationalId } },
      expectedArgs: { kind: kind === "consumer" ? "0" : "1", key },
    });
  };
  return (
    <Page title={t("issueCard.title")}>
      <p>{t("issueCard.intro")}</p>
      <form onSubmit={submit} className="form">
        <label htmlFor="card-kind">{t("issueCard.kind")}</label>
        <select id="card-kind" value={kind} onChange={(e) => setKind(e.target.value as "consumer" | "merchant")}>
          <option value="consumer">{t("cardKinds.consumer")}</option>
          <option value="merchant">{t("cardKinds.merchant")}</option>
        </select>
        <label htmlFor="card-key">{t("issueCard.key")}</label>
        <input id="card-key" required pattern="0x[0-9a-fA-F]{40}" value={key} onChange={(e) => setKey(e.target.value.trim())} aria-describedby="card-key-hint" autoComplete="off" spellCheck={false} />
        <p id="card-key-hint" className="hint">
          {t("issueCard.keyHint")}
        </p>
        <label htmlFor="holder-name">{t("issueCard.holderName")}</label>
        <input id="holder-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        <label htmlFor="holder-id">{t("issueCard.nationalId")}</label>
        <input id="holder-id" required maxLength={64} value={nationalId} onChange={(e) => setNationalId(e.target.value)} autoComplete="off" />
        <button type="submit" className="primary" disabled={decision.isPending}>
          {decision.isPending ? t("issueCard.signing") : t("issueCard.submit")}
        </button>
      </form>
      <StatusMessage>
        {decision.data ? t("issueCard.proposed", { id: decision.data.proposalId ?? "?" }) : undefined}
      </StatusMessage>
      {decision.data && (
        <p className="action-words">
          <DecodedWords action={decision.data.action} />
        </p>
      )}
      <ErrorMessage error={decision.error} />
    </Page>
  );
}
