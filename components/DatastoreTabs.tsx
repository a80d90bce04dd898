"use client";
/** The views of one datastore (PBS's panel tabs): Summary, Content and Jobs, as links. */
import Link from "next/link";
import { usePathname } from "next/navigation";
import "./jobs.css";

export function DatastoreTabs({ store }: { store: string }) {
  const pathname = usePathname();
  const base = `/datastores/${encodeURIComponent(store)}`;
  const tabs = [
    { href: `${base}/summary`, label: "Summary" },
    { href: base, label: "Content" },
    { href: `${base}/jobs`, label: "Jobs" },
  ];
  return (
    <nav className="view-tabs" aria-label={`Views of datastore ${store}`}>
      <ul>
        {tabs.map((t) => (
          <li key={t.href}>
            <Link href={t.href} aria-current={pathname === t.href ? "page" : undefined}>
              {t.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
