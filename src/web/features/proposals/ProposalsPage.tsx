import { useTranslation } from "react-i18next";
import type { Operator, Proposal } from "../../shared/api/operator-api-pending";
import { formatTime } from "../../shared/i18n/format";
import { Page } from "../../shared/shell/Page";
import { ErrorMessage, StatusMessage } from "../../shared/shell/Status";
import { useDecision } from "../decisions/api";
import { ActionWords } from "./ActionWords";
import { usePendingProposals } from "./api";

export function ProposalsPage({ operator }: { operator: Operator }) {
  const { t } = useTranslation();
  const proposals = usePendingProposals();
  const decision = useDecision();
  const outcome = decision.data;
  return (
    <Page title={t("proposals.title")}>
      <StatusMessage>{outcome ? t(outcome.executed ? "proposals.executed" : "proposals.recorded") : decision.isPending ? t("proposals.signing") : undefined}</StatusMessage>
      <ErrorMessage error={decision.error ?? proposals.error} />
      {proposals.isPending && <p>{t("common.loading")}</p>}
      {proposals.data?.length === 0 && <p>{t("proposals.none")}</p>}
      <ul className="cards">
        {proposals.data?.map((p) => (
          <li key={`${p.target}-${p.id}`}>
            <ProposalCard proposal={p} operator={operator} busy={decision.isPending} onDecide={(kind) => decision.mutate({ kind, target: p.target, proposalId: p.id })} />
          </li>
        ))}
      </ul>
    </Page>
  );
}

function ProposalCard({ proposal, operator, busy, onDecide }: { proposal: Proposal; operator: Operator; busy: boolean; onDecide(kind: "approve" | "reject" | "withdraw"): void }) {
  const { t, i18n } = useTranslation();
  const headingId = `proposal-${proposal.target}-${proposal.id}`;
  const institution = proposal.proposerInstitution;
  const own = institution === operator.institution;
  return (
    <article className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{t("proposals.heading", { target: t(`targets.${proposal.target}`), id: proposal.id })}</h2>
      <p className="action-words">
        <ActionWords target={proposal.target} action={proposal.action} />
      </p>
      <dl className="facts">
        <dt>{t("proposals.proposedBy")}</dt>
        <dd>{t("proposals.credential", { credential: proposal.proposerCredential ?? proposal.proposer ?? "?", institution: institution ? t(`institutions.${institution}`) : "?" })}</dd>
        <dt>{t("proposals.proposedAt")}</dt>
        <dd>{formatTime(proposal.proposedAt ?? undefined, i18n.language) || "?"}</dd>
        <dt>{t("proposals.expires")}</dt>
        <dd>{formatTime(proposal.deadline, i18n.language)}</dd>
      </dl>
      <div className="actions">
        {own ? (
          <button type="button" onClick={() => onDecide("withdraw")} disabled={busy} aria-describedby={headingId}>
            {t("proposals.withdraw")}
          </button>
        ) : (
          <>
            <button type="button" className="primary" onClick={() => onDecide("approve")} disabled={busy} aria-describedby={headingId}>
              {t("proposals.approve")}
            </button>
            <button type="button" onClick={() => onDecide("reject")} disabled={busy} aria-describedby={headingId}>
              {t("proposals.reject")}
            </button>
          </>
        )}
      </div>
    </article>
  );
}
