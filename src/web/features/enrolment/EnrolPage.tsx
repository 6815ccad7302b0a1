import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { Institution } from "../../shared/api/operator-api-pending";
import { Page } from "../../shared/shell/Page";
import { Link } from "../../shared/shell/router";
import { ErrorMessage, StatusMessage } from "../../shared/shell/Status";
import { useEnrol, useEnrolmentState } from "./api";

const INSTITUTIONS: Institution[] = ["bank", "credit_center"];

export function EnrolPage() {
  const { t } = useTranslation();
  const state = useEnrolmentState();
  const enrol = useEnrol();
  const [institution, setInstitution] = useState<Institution>("bank");
  const [label, setLabel] = useState("");
  const [code, setCode] = useState("");
  const codeOpen = state.data?.institutions[institution]?.codeOpen ?? false;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    enrol.mutate({ institution, operatorLabel: label, code: codeOpen ? code : undefined });
  };
  const result = enrol.data;
  return (
    <Page title={t("enrol.title")}>
      <p>{t("enrol.intro")}</p>
      <form onSubmit={submit} className="form">
        <fieldset>
          <legend>{t("enrol.institution")}</legend>
          {INSTITUTIONS.map((i) => (
            <div key={i} className="choice">
              <input type="radio" id={`institution-${i}`} name="institution" value={i} checked={institution === i} onChange={() => setInstitution(i)} />
              <label htmlFor={`institution-${i}`}>{t(`institutions.${i}`)}</label>
            </div>
          ))}
        </fieldset>
        <label htmlFor="operator-label">{t("enrol.label")}</label>
        <input id="operator-label" required maxLength={64} value={label} onChange={(e) => setLabel(e.target.value)} aria-describedby="operator-label-hint" autoComplete="off" />
        <p id="operator-label-hint" className="hint">
          {t("enrol.labelHint")}
        </p>
        {codeOpen ? (
          <>
            <label htmlFor="enrolment-code">{t("enrol.code")}</label>
            <input id="enrolment-code" type="password" required value={code} onChange={(e) => setCode(e.target.value)} aria-describedby="enrolment-code-hint" autoComplete="off" spellCheck={false} />
            <p id="enrolment-code-hint" className="hint">
              {t("enrol.codeHint")}
            </p>
          </>
        ) : (
          <p className="hint">{t("enrol.byOperators")}</p>
        )}
        <button type="submit" className="primary" disabled={enrol.isPending}>
          {enrol.isPending ? t("enrol.waiting") : t("enrol.submit")}
        </button>
      </form>
      <StatusMessage>
        {result ? (result.status === "enrolled" ? t("enrol.enrolled", { credential: result.credentialId ?? "?" }) : t("enrol.awaiting")) : undefined}
      </StatusMessage>
      {result?.status === "enrolled" && (
        <p>
          <Link to="sign-in">{t("nav.signIn")}</Link>
        </p>
      )}
      <ErrorMessage error={enrol.error ?? state.error} />
    </Page>
  );
}
