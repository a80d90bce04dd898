/**
 * Instead of a red error for a page the user may not use: what it needs, where, and who can
 * give it (PBS's privilege names, as on the Permissions page).
 */
import { Icon } from "./Icon";
import "./account.css";

export function MissingPrivilege({ what, privileges, path }: { what: string; privileges: readonly string[]; path: string }) {
  return (
    <div className="alert alert--info missing-privilege" role="status">
      <Icon name="shield" />
      <div>
        <p className="alert__title">You may not {what}</p>
        <p className="alert__body">
          It needs {privileges.join(" or ")} on <code>{path}</code>. An administrator can grant it on the Permissions page.
        </p>
      </div>
    </div>
  );
}
