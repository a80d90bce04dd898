"use client";
/** The bar on every page: product name and the main sections of the console. */
import Link from "next/link";
import { usePathname } from "next/navigation";
import { Icon, type IconName } from "./Icon";
import { TasksButton } from "./TasksButton";

// Sections grow with the console (tasks, users and permissions come with later issues).
const SECTIONS: { href: string; label: string; icon: IconName }[] = [
  { href: "/datastores", label: "Datastores", icon: "database" },
  { href: "/tasks", label: "Tasks", icon: "tasks" },
];

export function AppHeader() {
  const pathname = usePathname();
  return (
    <header className="app-header">
      <div className="app-header__inner">
        <Link href="/" className="app-header__brand" aria-label="Coffer home">
          <Icon name="logo" className="app-header__logo" />
          <span>Coffer</span>
        </Link>
        <nav className="app-header__nav" aria-label="Main">
          <ul>
            {SECTIONS.map((s) => {
              // "page" on the section's own page, "true" on the pages below it (WAI-ARIA).
              const current = pathname === s.href ? "page" : pathname.startsWith(`${s.href}/`) ? "true" : undefined;
              return (
                <li key={s.href}>
                  <Link href={s.href} aria-current={current}>
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
      </div>
    </header>
  );
}
