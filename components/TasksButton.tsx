"use client";
/**
 * The header's Tasks button (PBS's "Tasks" button): how many tasks run right now, and a quick
 * list of them; choosing one opens it in the Task Viewer, "Show all tasks" goes to the Tasks
 * page. The count refreshes every 3 s like PBS's, and only while the console tab is visible.
 */
import * as Menu from "@radix-ui/react-dropdown-menu";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRef, useState } from "react";
import { Icon } from "./Icon";
import { TaskViewerDialog } from "./TaskViewerDialog";
import { formatDuration, formatLocalTime } from "./task-format";
import { useTRPC } from "./TrpcProvider";

const POLL_MS = 3000;
const QUICK_LIST_LIMIT = 100;

export function TasksButton() {
  const trpc = useTRPC();
  const [viewing, setViewing] = useState<string | null>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const running = useQuery({
    ...trpc.task.list.queryOptions({ running: true, limit: QUICK_LIST_LIMIT }),
    refetchInterval: POLL_MS,
    staleTime: 0,
  });
  const tasks = running.data?.data ?? [];
  const count = tasks.length;
  const countText = count >= QUICK_LIST_LIMIT ? "99+" : String(count);
  const now = Math.floor(Date.now() / 1000);

  return (
    <>
      <Menu.Root>
        <Menu.Trigger ref={trigger} className="tasks-button" aria-label={`Tasks, ${count} running`}>
          <Icon name="tasks" />
          <span>Tasks</span>
          {count > 0 && (
            <span className="tasks-button__count" aria-hidden="true">
              {countText}
            </span>
          )}
        </Menu.Trigger>
        <Menu.Portal>
          <Menu.Content className="menu tasks-menu" align="end" sideOffset={6}>
            <Menu.Label className="menu__label">{count === 0 ? "No running tasks" : `Running tasks (${countText})`}</Menu.Label>
            {tasks.map((t) => (
              <Menu.Item key={t.upid} className="menu__item tasks-menu__item" onSelect={() => setViewing(t.upid)}>
                <span className="tasks-menu__desc">{t.description}</span>
                <span className="tasks-menu__meta">
                  {formatLocalTime(t.starttime)} · {formatDuration(now - t.starttime)}
                </span>
              </Menu.Item>
            ))}
            <Menu.Separator className="menu__separator" />
            <Menu.Item asChild className="menu__item">
              <Link href="/tasks">Show all tasks</Link>
            </Menu.Item>
          </Menu.Content>
        </Menu.Portal>
      </Menu.Root>
      <TaskViewerDialog
        upid={viewing}
        onClose={() => {
          setViewing(null);
          // The menu item that opened the viewer is gone; hand the focus back to the button
          // (after the dialog's own focus return, which finds nothing to return to).
          requestAnimationFrame(() => trigger.current?.focus());
        }}
      />
    </>
  );
}
