/**
 * A page: its heading receives focus when the app navigates to it (so keyboard and screen-reader
 * users start at the new content; a page loaded afresh leaves focus to the browser, skip link
 * first) and names the document's title.
 */
import { useEffect, useRef, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { useRoute } from "./router";

export function Page({ title, children }: { title: string; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { t } = useTranslation();
  const { navigated } = useRoute();
  useEffect(() => {
    if (navigated) heading.current?.focus();
  }, [navigated]);
  useEffect(() => {
    document.title = `${title} · ${t("app.name")}`;
  }, [title, t]);
  return (
    <section className="page" aria-labelledby="page-heading">
      <h1 id="page-heading" tabIndex={-1} ref={heading}>
        {title}
      </h1>
      {children}
    </section>
  );
}
