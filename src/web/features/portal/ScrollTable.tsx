/** A table that scrolls sideways on a narrow screen: a labelled region the keyboard can reach. */
import type { ReactNode } from "react";

export function ScrollTable({ label, caption, children }: { label: string; caption?: boolean; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      <table>
        {caption && <caption>{label}</caption>}
        {children}
      </table>
    </div>
  );
}
