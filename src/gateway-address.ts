/**
 * Where the gateway on a DATA_DIR listens: written to DATA_DIR/gateway.url once it listens
 * (whatever PORT it was given, 0 included) and removed when it stops, so the command lines
 * (`npm run operator`, `npm run credit`, `npm run simulate`) find it without being told.
 */
import fs from "node:fs";
import path from "node:path";

export const GATEWAY_URL_FILE = "gateway.url";

/** Record the URL the gateway on `dataDir` listens at (mode 0600, replaced atomically). */
export function writeGatewayUrl(dataDir: string, url: string): void {
  const file = path.join(dataDir, GATEWAY_URL_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, url + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Forget it (the gateway stopped), unless another gateway has since written its own. */
export function removeGatewayUrl(dataDir: string, url: string): void {
  const file = path.join(dataDir, GATEWAY_URL_FILE);
  try {
    if (fs.readFileSync(file, "utf8").trim() === url) fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

/**
 * The gateway a command line talks to, and how it was found: `--gateway` when given, else
 * CREDENCE_GATEWAY, else the URL the gateway on DATA_DIR (default ./data) wrote, else
 * http://127.0.0.1:$PORT (PORT defaulting to 8080, as the gateway's).
 */
export function resolveGatewayUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env): { url: string; source: string } {
  if (option) return { url: option, source: "--gateway" };
  if (env.CREDENCE_GATEWAY) return { url: env.CREDENCE_GATEWAY, source: "CREDENCE_GATEWAY" };
  const file = path.resolve(env.DATA_DIR || "data", GATEWAY_URL_FILE);
  try {
    const url = fs.readFileSync(file, "utf8").trim();
    if (url) return { url, source: file };
  } catch {
    // no gateway has written one: fall back to PORT
  }
  const host = env.HOST && env.HOST !== "0.0.0.0" && env.HOST !== "::" ? env.HOST : "127.0.0.1";
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${env.PORT || "8080"}`, source: env.PORT ? "PORT" : "the default port" };
}
