/**
 * The shell every audience shares: skip link, header with the app's name, the audience's
 * navigation, the language switch and an account slot (sign-out), and the main region.
 */
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { LANGUAGES, setLanguage } from "../i18n";
import { Link } from "./router";

export interface NavItem {
  to: string;
  label: string;
}

export function Shell({ title, nav, account, children }: { title: string; nav: NavItem[]; account?: ReactNode; children: ReactNode }) {
  const { t, i18n } = useTranslation();
  return (
    <>
      <a className="skip-link" href="#main">
        {t("shell.skip")}
      </a>
      <header className="shell-header">
        <p className="shell-title">{title}</p>
        {nav.length > 0 && (
          <nav aria-label={t("shell.navigation")}>
            <ul className="shell-nav">
              {nav.map((item) => (
                <li key={item.to}>
                  <Link to={item.to}>{item.label}</Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div className="shell-tools">
          <div role="group" aria-label={t("shell.language")} className="language-switch">
            {LANGUAGES.map((language) => (
              <button key={language.code} type="button" lang={language.code} aria-pressed={i18n.language === language.code} onClick={() => setLanguage(language.code)}>
                {language.label}
              </button>
            ))}
          </div>
          {account}
        </div>
      </header>
      <main id="main">{children}</main>
    </>
  );
}
