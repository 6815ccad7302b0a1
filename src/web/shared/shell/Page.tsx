/**
 * A page: its heading receives focus when the page opens (so keyboard and screen-reader users
 * start at the new content after each navigation) and names the document's title.
 */
import { useEffect, useRef, type ReactNode } from "react";
import { useTranslation } from "react-i18next";

export function Page({ title, children }: { title: string; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { t } = useTranslation();
  useEffect(() => {
    heading.current?.focus();
  }, []);
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
