/** The operator console's entry: the shared shell with the operators' pages, under /console/. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "../shared/i18n";
import "../shared/shell/shell.css";
import { AppProviders } from "../shared/shell/AppProviders";
import { ConsoleApp } from "./ConsoleApp";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <AppProviders base="/console/">
      <ConsoleApp />
    </AppProviders>
  </StrictMode>,
);
