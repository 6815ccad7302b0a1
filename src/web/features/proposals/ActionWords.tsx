/** A dual-control action said in words, decoded in the browser from its calldata. */
import { useTranslation } from "react-i18next";
import type { ProposalTarget } from "../../shared/api/operator-api-pending";
import { decodeAction, type DecodedAction } from "../../shared/chain/drafts";
import { formatTime } from "../../shared/i18n/format";

const CARD_KINDS = ["consumer", "merchant"];

export function ActionWords({ target, action }: { target: ProposalTarget; action: string }) {
  const decoded = decodeAction(target, action);
  return <DecodedWords action={decoded} />;
}

export function DecodedWords({ action }: { action: DecodedAction | undefined }) {
  const { t, i18n } = useTranslation();
  if (!action) return <>{t("actions.unknown")}</>;
  const args: Record<string, string> = { ...action.args };
  if (args.kind !== undefined) args.kind = t(`cardKinds.${CARD_KINDS[Number(args.kind)] ?? "unknown"}`);
  if (args.expiresAt !== undefined) args.expiresAt = formatTime(Number(args.expiresAt), i18n.language);
  const text = t(`actions.${action.function}`, { ...args, defaultValue: "" });
  if (text) return <>{text}</>;
  return <>{t("actions.generic", { function: action.function, args: Object.entries(action.args).map(([k, v]) => `${k} = ${v}`).join("; ") })}</>;
}
