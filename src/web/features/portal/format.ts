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

/** A day from Unix seconds ("∞" past the dates JavaScript can hold: an open-ended validity). */
export function formatDay(seconds: number, language: string): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? "∞" : new Intl.DateTimeFormat(language, { dateStyle: "medium" }).format(date);
}
