/** A row that is not an item: loading, empty, or why the children could not be listed. */
import type { ReactNode } from "react";
import { Icon } from "./Icon";
import { Spinner } from "./Spinner";
import { indentOf } from "./useContentTree";

export const TREE_COLUMNS = 8;

export function TreeStatusRow({
  level,
  kind,
  children,
}: {
  level: number;
  kind: "loading" | "empty" | "error";
  children: ReactNode;
}) {
  return (
    <tr role="row" className={kind === "error" ? "tree__status tree__status--error" : "tree__status"} aria-level={level}>
      <td role="gridcell" colSpan={TREE_COLUMNS}>
        <div className="tree__name" style={{ paddingLeft: indentOf(level) }}>
          <span className="tree__spacer" />
          {kind === "loading" ? <Spinner /> : kind === "error" ? <Icon name="alert" /> : null}
          <span role={kind === "error" ? "alert" : undefined}>{children}</span>
        </div>
      </td>
    </tr>
  );
}
