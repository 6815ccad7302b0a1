/** The operators of the signed-in operator's own institution. */
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../shared/api/client";
import type { Operator } from "../../shared/api/operator-api-pending";
import { Page } from "../../shared/shell/Page";
import { ErrorMessage } from "../../shared/shell/Status";

export function OperatorsPage({ operator }: { operator: Operator }) {
  const { t } = useTranslation();
  const list = useQuery({ queryKey: ["operators"], queryFn: async () => unwrap(await api.GET("/v1/operators")).operators });
  return (
    <Page title={t("operators.title", { institution: t(`institutions.${operator.institution}`) })}>
      <ErrorMessage error={list.error} />
      {list.isPending && <p>{t("common.loading")}</p>}
      {list.data && (
        <table>
          <caption>{t("operators.caption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("operators.credential")}</th>
              <th scope="col">{t("operators.operatorId")}</th>
              <th scope="col">{t("operators.kind")}</th>
              <th scope="col">{t("operators.status")}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((o) => (
              <tr key={o.credentialId}>
                <td>
                  {o.credentialId}
                  {o.credentialId === operator.credentialId && <> {t("operators.you")}</>}
                </td>
                <td className="mono">{o.operatorId}</td>
                <td>{t(`credentialKinds.${o.kind}`)}</td>
                <td>{t(`credentialStatus.${o.status.toLowerCase()}`, { defaultValue: o.status })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
