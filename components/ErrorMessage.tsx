/**
 * Shows why something could not be loaded. The API's messages are written for admins (the
 * engine's context chain, as PBS prints it), so they are shown as they are.
 */
import { Icon } from "./Icon";

export function ErrorMessage({ title, error }: { title: string; error: unknown }) {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { data?: { code?: string } } | null)?.data?.code;
  // Maintenance is a state the admin chose, not a failure: show it as a warning.
  const tone = code === "PRECONDITION_FAILED" ? "alert alert--warning" : "alert";
  return (
    <div className={tone} role="alert">
      <Icon name="alert" />
      <div>
        <p className="alert__title">{title}</p>
        <p className="alert__body">{message}</p>
      </div>
    </div>
  );
}
