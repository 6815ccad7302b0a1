/** Numbers of the portal's pages in the page's language. */

/** A decimal integer string (points), grouped. */
export function formatPoints(value: string, language: string): string {
  return new Intl.NumberFormat(language).format(BigInt(value));
}

/** An amount in minor units (1250 = 12.50), with two decimals. */
export function formatAmount(minor: string, language: string): string {
  const n = BigInt(minor);
  const sign = n < 0n ? "-" : "";
  const abs = n < 0n ? -n : n;
  const whole = new Intl.NumberFormat(language).format(abs / 100n);
  return `${sign}${whole}.${(abs % 100n).toString().padStart(2, "0")}`;
}

/** The largest uint40: an agreement valid "until then" is open-ended. */
const OPEN_ENDED = 2 ** 40 - 1;

/** A day from Unix seconds ("∞" for an open-ended validity). */
export function formatDay(seconds: number, language: string): string {
  const date = new Date(seconds * 1000);
  return seconds >= OPEN_ENDED || Number.isNaN(date.getTime()) ? "∞" : new Intl.DateTimeFormat(language, { dateStyle: "medium" }).format(date);
}
