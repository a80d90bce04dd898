"use client";
/**
 * One row of the content treegrid. The row itself takes focus (roving tabindex); its toggle
 * button is for the mouse and names the item for assistive technology, with aria-expanded on
 * both the row (treegrid semantics) and the button (disclosure semantics). The last cell holds
 * the row's actions menu, reachable with Tab from the focused row.
 */
import { useRef, type ReactNode } from "react";
import { Icon } from "./Icon";
import { indentOf, useContentTree } from "./useContentTree";

export interface TreeRowProps {
  rowKey: string;
  level: number;
  posInSet: number;
  setSize?: number;
  /**
   * The item's accessible name: kind, name and namespace (`Group vm/100 in a/b`). The tree is
   * flat rows, and the same group id can live in several namespaces, so the name carries the
   * context a sighted user gets from the indentation. Every row's name starts with it.
   */
  name: string;
  expandable: boolean;
  icon: ReactNode;
  label: ReactNode;
  /** Badges after the label (protected, unfinished, empty). */
  badges?: ReactNode;
  title?: string;
  /** The cells between the name cell and the actions cell. */
  children: ReactNode;
  /** The actions menu (RowActionsMenu). */
  actions?: ReactNode;
  tone?: "danger";
}

export function TreeRow(props: TreeRowProps) {
  const { rowKey, level, posInSet, setSize, name, expandable, icon, label, badges, title, children, actions, tone } = props;
  const tree = useContentTree();
  const rowRef = useRef<HTMLTableRowElement>(null);
  const expanded = expandable ? tree.isExpanded(rowKey) : undefined;
  // Until the user enters the tree, the first top-level row is the one Tab reaches.
  const tabbable = tree.activeKey === rowKey || (tree.activeKey === null && level === 1 && posInSet === 1);

  return (
    <tr
      ref={rowRef}
      role="row"
      data-key={rowKey}
      className={tone === "danger" ? "tree__row--danger" : undefined}
      aria-level={level}
      aria-posinset={posInSet}
      aria-setsize={setSize}
      aria-expanded={expanded}
      tabIndex={tabbable ? 0 : -1}
      onFocus={(e) => {
        if (e.target === e.currentTarget) tree.setActiveKey(rowKey);
      }}
    >
      <td role="gridcell">
        <div className="tree__name" style={{ paddingLeft: indentOf(level) }} title={title}>
          {expandable ? (
            <button
              type="button"
              className="tree__toggle"
              tabIndex={-1}
              aria-label={name}
              aria-expanded={expanded}
              onClick={() => {
                tree.setExpanded(rowKey, !expanded);
                // Keep keyboard focus on the row, where the arrow keys work.
                rowRef.current?.focus();
              }}
            >
              <Icon name="chevronRight" className="tree__chevron" />
              {icon}
              <span aria-hidden="true">{label}</span>
            </button>
          ) : (
            <>
              <span className="tree__spacer" />
              {icon}
              <span className="visually-hidden">{name}</span>
              <span aria-hidden="true">{label}</span>
            </>
          )}
          {badges}
        </div>
      </td>
      {children}
      <td role="gridcell" className="tree__actions">
        {actions}
      </td>
    </tr>
  );
}
