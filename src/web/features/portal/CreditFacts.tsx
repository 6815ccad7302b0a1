/** The credit score with its parts, the limit granted and when it expires. */
import { useTranslation } from "react-i18next";
import { formatDay, formatPoints } from "./format";

export interface Credit {
  score: number;
  maxScore: number;
  parts: Record<string, number>;
  partsMax: Record<string, number>;
  reversalPenaltyBps: number;
  points: string;
  eligibleLimit: string;
  nextTier: { limit: string; minScore: number; minPoints: string } | null;
  grant: { limit: string; expiresAt: number; frozen: boolean } | null;
  availableLimit: string;
}

export function CreditFacts({ credit }: { credit: Credit | null }) {
  const { t, i18n } = useTranslation();
  if (!credit) return <p>{t("portal.credit.none")}</p>;
  return (
    <>
      <dl className="facts">
        <dt>{t("portal.credit.score")}</dt>
        <dd>{t("portal.credit.scoreOf", { score: credit.score, max: credit.maxScore })}</dd>
        <dt>{t("portal.credit.limit")}</dt>
        <dd>{credit.grant ? formatPoints(credit.grant.limit, i18n.language) : t("portal.credit.noGrant")}</dd>
        {credit.grant && (
          <>
            <dt>{t("portal.credit.expires")}</dt>
            <dd>{formatDay(credit.grant.expiresAt, i18n.language)}</dd>
            <dt>{t("portal.credit.available")}</dt>
            <dd>{credit.grant.frozen ? t("portal.credit.frozen") : formatPoints(credit.availableLimit, i18n.language)}</dd>
          </>
        )}
        <dt>{t("portal.credit.eligible")}</dt>
        <dd>{formatPoints(credit.eligibleLimit, i18n.language)}</dd>
        <dt>{t("portal.credit.nextTier")}</dt>
        <dd data-testid="next-tier">
          {credit.nextTier
            ? t("portal.credit.nextTierNeeds", {
                limit: formatPoints(credit.nextTier.limit, i18n.language),
                minScore: credit.nextTier.minScore,
                score: credit.score,
                minPoints: formatPoints(credit.nextTier.minPoints, i18n.language),
                points: formatPoints(credit.points, i18n.language),
              })
            : t("portal.credit.noNextTier")}
        </dd>
      </dl>
      <table>
        <caption>{t("portal.credit.partsCaption")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("portal.credit.part")}</th>
            <th scope="col">{t("portal.credit.points")}</th>
            <th scope="col">{t("portal.credit.toRaise")}</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(credit.parts).map(([part, value]) => (
            <tr key={part}>
              <th scope="row">{t(`portal.credit.parts.${part}`)}</th>
              <td>{t("portal.credit.partOf", { value, max: credit.partsMax[part] })}</td>
              <td>{t(`portal.credit.raise.${part}`)}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">{t("portal.credit.parts.reversals")}</th>
            <td>{t("portal.credit.penalty", { percent: (credit.reversalPenaltyBps / 100).toFixed(2) })}</td>
            <td>{t("portal.credit.raise.reversals")}</td>
          </tr>
        </tbody>
      </table>
    </>
  );
}
