/** Dates in the page's language. Accepts Unix seconds or an ISO 8601 string. */
export function formatTime(value: number | string | undefined, language: string): string {
  if (value === undefined || value === "") return "";
  const date = typeof value === "number" ? new Date(value * 1000) : /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(date);
}
