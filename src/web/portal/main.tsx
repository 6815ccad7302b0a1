/** The consumers' and merchants' portal's entry: the shared shell with the holders' pages, under /portal/. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "../shared/i18n";
import "../shared/shell/shell.css";
import "../features/portal/portal.css";
import "../features/portal/i18n";
import { AppProviders } from "../shared/shell/AppProviders";
import { PortalApp } from "./PortalApp";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <AppProviders base="/portal/">
      <PortalApp />
    </AppProviders>
  </StrictMode>,
);
