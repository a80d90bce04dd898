"use client";
/** The bar on every page: product name, the main sections of the console, and the user menu. */
import Link from "next/link";
import { usePathname } from "next/navigation";
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
  return (
    <header className="app-header">
      <div className="app-header__inner">
        <Link href="/" className="app-header__brand" aria-label="Coffer home">
          <Icon name="logo" className="app-header__logo" />
          <span>Coffer</span>
        </Link>
        <nav className="app-header__nav" aria-label="Main">
          <ul>
            {sections.map((s) => {
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
        <UserMenu />
      </div>
    </header>
  );
}
