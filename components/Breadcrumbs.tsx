/** Where the user is: links up the hierarchy, the current page last. */
import Link from "next/link";

export interface Crumb {
  label: string;
  href?: string;
}

export function Breadcrumbs({ items }: { items: Crumb[] }) {
  return (
    <nav className="breadcrumbs" aria-label="Breadcrumb">
      <ol>
        {items.map((item, i) =>
          i === items.length - 1 || !item.href ? (
            <li key={i} aria-current={i === items.length - 1 ? "page" : undefined}>
              {item.label}
            </li>
          ) : (
            <li key={i}>
              <Link href={item.href}>{item.label}</Link>
            </li>
          ),
        )}
      </ol>
    </nav>
  );
}
