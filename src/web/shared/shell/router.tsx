/**
 * A small router over the History API, for pages under one audience's base path (/console/):
 * links are real <a href> elements, so they work with the keyboard, open in new tabs and
 * degrade to full page loads; the gateway answers every path under the base with the same page.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type MouseEvent, type ReactNode } from "react";

interface RouteState {
  /** The path below the base, without leading slash ("" for the base itself). */
  path: string;
  /** Whether the page was reached by navigating in the app (not by loading it). */
  navigated: boolean;
  navigate(to: string): void;
  href(to: string): string;
}

const RouteContext = createContext<RouteState | undefined>(undefined);

export function RouterProvider({ base, children }: { base: string; children: ReactNode }) {
  const below = useCallback(() => (window.location.pathname.startsWith(base) ? window.location.pathname.slice(base.length) : ""), [base]);
  const [path, setPath] = useState(below);
  const [navigated, setNavigated] = useState(false);
  useEffect(() => {
    const onPop = () => {
      setPath(below());
      setNavigated(true);
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, [below]);
  const state = useMemo<RouteState>(
    () => ({
      path,
      navigated,
      href: (to) => base + to,
      navigate: (to) => {
        window.history.pushState(null, "", base + to);
        setPath(to);
        setNavigated(true);
      },
    }),
    [base, path, navigated],
  );
  return <RouteContext.Provider value={state}>{children}</RouteContext.Provider>;
}

export function useRoute(): RouteState {
  const state = useContext(RouteContext);
  if (!state) throw new Error("useRoute outside RouterProvider");
  return state;
}

/** A link to a page of this audience; a plain click navigates without reloading. */
export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  const { path, href, navigate } = useRoute();
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={href(to)} onClick={onClick} className={className} aria-current={path === to ? "page" : undefined}>
      {children}
    </a>
  );
}
