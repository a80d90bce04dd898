"use client";
/**
 * The bar on every page: product name, the main sections of the console, and the user menu.
 * On narrow screens the sections fold behind a "Menu" button (a disclosure, app/globals.css
 * decides the width); following a link, Escape or a click elsewhere folds them again.
 */
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";
import { Icon, type IconName } from "./Icon";
import { TasksButton } from "./TasksButton";
import { UserMenu } from "./UserMenu";
import { usePermissions } from "./usePermissions";

interface Section {
  href: string;
  label: string;
  icon: IconName;
}

const SECTIONS: Section[] = [
  { href: "/datastores", label: "Datastores", icon: "database" },
  { href: "/tasks", label: "Tasks", icon: "tasks" },
];

/** Each shown to those who may see it (Sys.Audit or Permissions.Modify on its path, as PBS). */
const USERS_SECTION: Section = { href: "/admin/users", label: "Users", icon: "edit" };
const PERMISSIONS_SECTION: Section = { href: "/admin/permissions", label: "Permissions", icon: "shield" };

export function AppHeader() {
  const pathname = usePathname();
  const users = usePermissions("/access/users");
  const acl = usePermissions("/access/acl");
  const sections = [
    ...SECTIONS,
    ...(users.has("Sys.Audit", "Permissions.Modify") ? [USERS_SECTION] : []),
    ...(acl.has("Sys.Audit", "Permissions.Modify") ? [PERMISSIONS_SECTION] : []),
  ];
  const navId = useId();
  const header = useRef<HTMLElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const [navOpen, setNavOpen] = useState(false);
  // Any change of page (a link, back/forward) folds it (React's "adjust state on a prop change").
  const [navPath, setNavPath] = useState(pathname);
  if (navPath !== pathname) {
    setNavPath(pathname);
    setNavOpen(false);
  }

  useEffect(() => {
    if (!navOpen) return;
    const onPointerDown = (e: PointerEvent) => {
      if (!header.current?.contains(e.target as Node)) setNavOpen(false);
    };
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      const inNav = header.current?.querySelector("nav")?.contains(document.activeElement);
      setNavOpen(false);
      if (inNav) toggle.current?.focus();
    };
    document.addEventListener("pointerdown", onPointerDown);
    document.addEventListener("keydown", onKeyDown);
    return () => {
      document.removeEventListener("pointerdown", onPointerDown);
      document.removeEventListener("keydown", onKeyDown);
    };
  }, [navOpen]);

  return (
    <header className="app-header" ref={header}>
      <div className="app-header__inner">
        <Link href="/" className="app-header__brand" aria-label="Coffer home">
          <Icon name="logo" className="app-header__logo" />
          <span>Coffer</span>
        </Link>
        <button
          ref={toggle}
          type="button"
          className="app-header__menu-button"
          aria-label="Main menu"
          aria-expanded={navOpen}
          aria-controls={navId}
          onClick={() => setNavOpen(!navOpen)}
        >
          <Icon name="menu" />
          <span aria-hidden="true">Menu</span>
        </button>
        <nav className="app-header__nav" aria-label="Main" id={navId} data-open={navOpen ? "" : undefined}>
          <ul>
            {sections.map((s) => {
              // "page" on the section's own page, "true" on the pages below it (WAI-ARIA).
              const current = pathname === s.href ? "page" : pathname.startsWith(`${s.href}/`) ? "true" : undefined;
              return (
                <li key={s.href}>
                  <Link href={s.href} aria-current={current} onClick={() => setNavOpen(false)}>
                    <Icon name={s.icon} />
                    {s.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <span className="app-header__meta">Backup datastore console</span>
        <TasksButton />
        <UserMenu />
      </div>
    </header>
  );
}
