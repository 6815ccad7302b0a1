/**
 * The browser app built by `npm run build:web` (src/web, output in dist/web): hashed assets under
 * /web/ (cached for a year: a new build has new names) and each audience's page (the operator
 * console at /console/, the consumers' and merchants' portal at /portal/, and every path below
 * each, for its router) never cached, all under a strict
 * Content Security Policy: scripts and styles from this origin only, nothing inline, no frames.
 */
import path from "node:path";
import fs from "node:fs";
import express, { Router } from "express";
import helmet from "helmet";
import { DomainError } from "../domain/domain-error";

export const WEB_BUILD_DIR = path.resolve(__dirname, "../../dist/web");

export const WEB_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  requireTrustedTypesFor: ["'script'"],
};

export function webAppRoutes(buildDir = WEB_BUILD_DIR): Router {
  // Strict: "/console" (redirected) is not "/console/" (the page).
  const router = Router({ strict: true });
  router.use(["/web", "/console", "/portal"], helmet.contentSecurityPolicy({ useDefaults: false, directives: WEB_CSP_DIRECTIVES }));
  router.use("/web/assets", express.static(path.join(buildDir, "assets"), { immutable: true, maxAge: "365d", index: false, redirect: false }));
  for (const audience of ["console", "portal"]) {
    router.get(`/${audience}`, (_req, res) => res.redirect(301, `/${audience}/`));
    router.get(`/${audience}/{*page}`, (_req, res, next) => {
      const page = path.join(buildDir, audience, "index.html");
      if (!fs.existsSync(page)) {
        next(new DomainError({ code: "web.not_built", detail: `the ${audience} is not built: npm run build:web` }));
        return;
      }
      res.setHeader("cache-control", "no-cache");
      res.sendFile(page);
    });
  }
  return router;
}
