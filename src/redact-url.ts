/**
 * URLs fit for logs and the start-up banner. An RPC_URL may carry credentials
 * (https://user:secret@host/...) or an API key in its query string; neither may be printed.
 */

/** Printed instead of a URL that does not parse, or has no host (`user:secret@host` parses so). */
export const UNPRINTABLE_URL = "(unprintable URL)";

/**
 * The URL's scheme, host, port and path only: userinfo, query string and fragment are dropped.
 * A URL that does not parse into a host is not echoed at all (it might still hold a secret).
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return UNPRINTABLE_URL;
  }
  if (parsed.host === "") return UNPRINTABLE_URL;
  const path = parsed.pathname === "/" ? "" : parsed.pathname;
  return `${parsed.protocol}//${parsed.host}${path}`;
}
