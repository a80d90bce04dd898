"use client";
/**
 * The logged-in user in the header: My account (password, own API tokens, sessions) for
 * everybody, everybody's API tokens for those who may see them, and Log out.
 */
import * as Menu from "@radix-ui/react-dropdown-menu";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "./TrpcProvider";
import { usePermissions } from "./usePermissions";
import { useSession } from "./useSession";

export function UserMenu() {
  const trpc = useTRPC();
  const { authId } = useSession();
  const users = usePermissions("/access/users");
  // Whatever the answer (even an already ended session), the browser goes to the login page.
  const logout = useMutation(trpc.auth.logout.mutationOptions({ onSettled: () => window.location.assign("/login") }));
  if (!authId) return null;
  return (
    <Menu.Root modal={false}>
      <Menu.Trigger className="user-menu__trigger" aria-label={`User menu for ${authId}`}>
        <span className="user-menu__avatar" aria-hidden="true">
          {authId.slice(0, 1).toUpperCase()}
        </span>
        <span className="user-menu__name">{authId}</span>
      </Menu.Trigger>
      <Menu.Portal>
        <Menu.Content className="menu" align="end" sideOffset={6} collisionPadding={8}>
          <Menu.Label className="menu__label">Logged in as {authId}</Menu.Label>
          <Menu.Item className="menu__item" asChild>
            <Link href="/account">My account</Link>
          </Menu.Item>
          {users.has("Sys.Audit", "Permissions.Modify") ? (
            <Menu.Item className="menu__item" asChild>
              <Link href="/admin/tokens">API tokens of all users</Link>
            </Menu.Item>
          ) : null}
          <Menu.Separator className="menu__separator" />
          <Menu.Item className="menu__item" onSelect={() => logout.mutate()} disabled={logout.isPending}>
            Log out
          </Menu.Item>
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
  );
}
