import type { Metadata } from "next";
import { Suspense } from "react";
import { Breadcrumbs } from "@/components/Breadcrumbs";
import { TaskTable } from "@/components/TaskTable";

export const metadata: Metadata = { title: "Tasks" };

export default function TasksPage() {
  return (
    <>
      <Breadcrumbs items={[{ label: "Tasks" }]} />
      <div className="page-header">
        <div>
          <h1>Tasks</h1>
          <p className="page-header__description">
            Every long operation (moves, garbage collection, verify, prune) runs as a task with its own log. Open one to
            follow it live or to stop it.
          </p>
        </div>
      </div>
      {/* The filters and the open task come from the URL, known only in the browser for a static page. */}
      <Suspense>
        <TaskTable />
      </Suspense>
    </>
  );
}
