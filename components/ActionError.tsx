/**
 * Why an action failed, in plain words (explainError), with the API's exact message one click
 * away for support. Maintenance refusals are warnings (a state the admin chose), the rest errors.
 */
import { explainError } from "./explainError";
import { Icon } from "./Icon";

export function ActionError({ title, error }: { title: string; error: unknown }) {
  const e = explainError(error);
  const tone = e.code === "PRECONDITION_FAILED" ? "alert alert--warning" : "alert";
  return (
    <div className={`${tone} action-error`} role="alert">
      <Icon name="alert" />
      <div>
        <p className="alert__title">{title}</p>
        <p className="alert__body">{e.message}</p>
        {e.detail && e.detail !== e.message ? (
          <details className="action-error__detail">
            <summary>Details</summary>
            <code>{e.detail}</code>
          </details>
        ) : null}
      </div>
    </div>
  );
}
