"use client";
/**
 * A row's actions in an accessible menu (Radix DropdownMenu: arrow keys, typeahead, Escape,
 * focus return). The trigger is tabbable only on the tree's active row, so the tree stays one
 * Tab stop plus the focused row's actions; Shift+F10 on a row opens it too. Items are grouped by
 * section (changes, moves, destructive), and a section can be added without touching the rest
 * (verify and prune come with the datastore jobs). Why an item is disabled is said once
 * (menu-reasons.ts): a reason several items share is one note at the top of the menu.
 */
import * as Menu from "@radix-ui/react-dropdown-menu";
import { Fragment, useId } from "react";
import { Icon, type IconName } from "./Icon";
import { menuReasons, noteText } from "./menu-reasons";
import { useContentTree } from "./useContentTree";

export interface RowAction {
  label: string;
  icon?: IconName;
  onSelect(): void;
  /** Why it cannot be used right now (shown as a tooltip and announced); disables the item. */
  disabledReason?: string;
  tone?: "danger";
}

export function RowActionsMenu({ rowKey, itemName, sections }: { rowKey: string; itemName: string; sections: RowAction[][] }) {
  const tree = useContentTree();
  const open = tree.menuKey === rowKey;
  const active = tree.activeKey === rowKey;
  const visible = sections.filter((s) => s.length > 0);
  const reasons = menuReasons(visible.flat());
  const noteId = useId();
  return (
    <Menu.Root modal={false} open={open} onOpenChange={(o) => tree.setMenuKey(o ? rowKey : null)}>
      <Menu.Trigger className="row-actions__trigger" aria-label={`Actions for ${itemName}`} tabIndex={active ? 0 : -1}>
        <Icon name="more" />
      </Menu.Trigger>
      <Menu.Portal>
        <Menu.Content className="menu" align="end" sideOffset={4} collisionPadding={8} loop>
          {reasons.notes.map((note, i) => (
            <Menu.Label key={note.reason} id={`${noteId}-${i}`} className="menu__note">
              <Icon name="alert" />
              <span>{noteText(note)}</span>
            </Menu.Label>
          ))}
          {reasons.notes.length > 0 ? <Menu.Separator className="menu__separator" /> : null}
          {visible.map((section, i) => (
            <Fragment key={i}>
              {i > 0 && <Menu.Separator className="menu__separator" />}
              {section.map((a) => (
                <Menu.Item
                  key={a.label}
                  className={a.tone === "danger" ? "menu__item menu__item--danger" : "menu__item"}
                  disabled={!!a.disabledReason}
                  aria-describedby={reasons.noteOf(a) >= 0 ? `${noteId}-${reasons.noteOf(a)}` : undefined}
                  onSelect={() => a.onSelect()}
                >
                  {a.icon ? <Icon name={a.icon} /> : <span className="menu__icon-space" />}
                  <span className="menu__text">
                    <span>{a.label}</span>
                    {reasons.inline(a) ? <span className="menu__reason"> ({reasons.inline(a)})</span> : null}
                  </span>
                </Menu.Item>
              ))}
            </Fragment>
          ))}
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
  );
}
