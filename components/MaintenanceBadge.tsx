/** A datastore's maintenance mode as a badge; nothing is shown for a store in normal use. */
import type { MaintenanceMode, MaintenanceType } from "@/server/datastore/model/types";
import { Badge, type BadgeTone } from "./Badge";
import { Icon } from "./Icon";

const LABELS: Record<MaintenanceType, { text: string; tone: BadgeTone }> = {
  "read-only": { text: "Read-only", tone: "warning" },
  offline: { text: "Offline", tone: "danger" },
  delete: { text: "Being deleted", tone: "danger" },
  unmount: { text: "Unmounting", tone: "warning" },
  "s3-refresh": { text: "Refreshing from S3", tone: "info" },
};

export function MaintenanceBadge({ mode }: { mode: MaintenanceMode | undefined }) {
  if (!mode) return null;
  const { text, tone } = LABELS[mode.type] ?? { text: mode.type, tone: "warning" };
  return (
    <Badge tone={tone} title={mode.message ? `Maintenance: ${mode.message}` : "Maintenance mode"}>
      <Icon name="wrench" />
      {text}
    </Badge>
  );
}
