"use client";
/**
 * The `Preview` region of the move dialogs: the dry-run plan the server computed with the same
 * checks the move runs (what moves, what merges, what conflicts and why, namespaces created and
 * removed, the depth check), or why the move would be refused outright.
 */
import type { MovePlan, PlannedGroup } from "@/server/api/types";
import { ActionError } from "./ActionError";
import { Badge, type BadgeTone } from "./Badge";
import { Icon } from "./Icon";
import { planSentence } from "./move-plan-text";
import { Spinner } from "./Spinner";

/** Rows shown at most; conflicts come first, so none of them is ever cut. */
const MAX_ROWS = 200;

const ACTION: Record<PlannedGroup["action"], { label: string; tone: BadgeTone }> = {
  move: { label: "Move", tone: "info" },
  merge: { label: "Merge", tone: "success" },
  conflict: { label: "Conflict", tone: "danger" },
  locked: { label: "Locked", tone: "warning" },
};

const show = (ns: string) => (ns === "" ? "Root" : ns);

/** True when the plan says the move would do nothing but fail. */
export function planFailsOutright(plan: MovePlan | undefined): boolean {
  if (!plan) return true;
  if (!plan["depth-check"].ok) return true;
  return plan.groups.length > 0 && plan.groups.every((g) => g.action === "conflict");
}

export function MovePlanPreview({
  plan,
  error,
  loading,
  updating,
  waitingFor,
}: {
  plan?: MovePlan;
  error?: unknown;
  loading: boolean;
  updating: boolean;
  /** Why there is no plan yet (an invalid field). */
  waitingFor?: string;
}) {
  const order = { conflict: 0, locked: 1, merge: 2, move: 3 } as const;
  const groups = plan ? [...plan.groups].sort((a, b) => order[a.action] - order[b.action]) : [];
  const counts = { move: 0, merge: 0, conflict: 0, locked: 0 };
  for (const g of groups) counts[g.action]++;
  const fails = planFailsOutright(plan);
  const partial = counts.conflict + counts.locked > 0;
  const depth = plan?.["depth-check"];

  return (
    <section className="plan" role="region" aria-label="Preview" aria-busy={loading || updating}>
      <div className="plan__header">
        <h3 className="plan__title">Preview</h3>
        {updating || loading ? <Spinner label="Updating the preview" /> : null}
      </div>
      {waitingFor ? (
        <p className="plan__empty">{waitingFor}</p>
      ) : error ? (
        <ActionError title="The move would be refused" error={error} />
      ) : !plan ? (
        <p className="plan__empty">Working out what would move…</p>
      ) : (
        <>
          <p
            className={fails ? "plan__summary plan__summary--bad" : partial ? "plan__summary plan__summary--partial" : "plan__summary"}
            aria-live="polite"
          >
            <Icon name={fails || partial ? "alert" : "check"} />
            {planSentence(counts, fails)}
          </p>
          <ul className="plan__facts">
            {depth && (
              <li className={depth.ok ? undefined : "plan__bad"}>
                Depth check: {depth.ok ? "ok" : "fails"} (subtree depth {depth["subtree-depth"]} + target depth {depth["target-depth"]}{" "}
                {depth.ok ? "≤" : ">"} {depth.max})
              </li>
            )}
            {plan["namespaces-created"].length > 0 && <li>Namespaces to create: {plan["namespaces-created"].join(", ")}</li>}
            {plan["namespaces-removed"].length > 0 && <li>Source namespaces to remove: {plan["namespaces-removed"].join(", ")}</li>}
            {plan["namespaces-kept"].map((k) => (
              <li key={k.ns}>
                Source namespace kept: {show(k.ns)} ({k.reason})
              </li>
            ))}
          </ul>
          {groups.length === 0 ? (
            <p className="plan__empty">No groups to move.</p>
          ) : (
            <div className="plan__table-wrap">
              <table className="data-table plan__table" aria-label="Groups in the plan">
                <thead>
                  <tr>
                    <th scope="col">Group</th>
                    <th scope="col">From</th>
                    <th scope="col">To</th>
                    <th scope="col" className="num">
                      Snapshots
                    </th>
                    <th scope="col">Action</th>
                  </tr>
                </thead>
                <tbody>
                  {groups.slice(0, MAX_ROWS).map((g) => (
                    <tr key={`${g.ns}|${g["backup-type"]}/${g["backup-id"]}`}>
                      <td className="nowrap">
                        {g["backup-type"]}/{g["backup-id"]}
                      </td>
                      <td>{show(g.ns)}</td>
                      <td>{g["target-ns"] === "" && !depth?.ok ? "—" : show(g["target-ns"])}</td>
                      <td className="num">{g.snapshots}</td>
                      <td>
                        <Badge tone={ACTION[g.action].tone}>{ACTION[g.action].label}</Badge>
                        {g.reason ? <span className="plan__reason">{g.reason}</span> : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {groups.length > MAX_ROWS && <p className="plan__more">…and {groups.length - MAX_ROWS} more groups that move or merge.</p>}
            </div>
          )}
        </>
      )}
    </section>
  );
}
