"use client";
/** A search result's way back into the tree: opens everything above it and focuses it. */
import Link from "next/link";

export function ShowInTree({ href, what }: { href: string; what: string }) {
  return (
    <Link href={href} className="tree__show-in-tree" aria-label={`Show ${what} in the tree`}>
      Show in tree
    </Link>
  );
}
