"use client";
/**
 * Add or edit a prune or verify job (PBS's Prune Job and Verify Job windows): id, schedule
 * (a PBS calendar event), namespace and depth, the keep options or the verify options,
 * comment, and "Disabled". The server checks the schedule and says where it is wrong.
 */
import { useMutation } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ActionError } from "./ActionError";
import { Dialog, SaveFooter } from "./Dialog";
import { KEEP_FIELDS, emptyForm, formOf, formProblems, jobOptions, type EditableJobType, type JobForm } from "./job-form";
import { useTRPC } from "./TrpcProvider";
import "./jobs.css";

const TITLE: Record<EditableJobType, string> = { prune: "Prune Job", verify: "Verify Job" };

export function JobDialog({
  store,
  type,
  job,
  onClose,
  onSaved,
}: {
  store: string;
  type: EditableJobType;
  /** The job to edit; a new job when absent. */
  job?: object;
  onClose(): void;
  onSaved(): void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const editing = job !== undefined;
  const [form, setForm] = useState<JobForm>(() => (job ? formOf(job as Record<string, unknown>) : emptyForm(type)));
  const [tried, setTried] = useState(false);
  const opts = { onSuccess: () => onSaved() };
  const createPrune = useMutation(trpc.job.createPrune.mutationOptions(opts));
  const createVerify = useMutation(trpc.job.createVerify.mutationOptions(opts));
  const updatePrune = useMutation(trpc.job.updatePrune.mutationOptions(opts));
  const updateVerify = useMutation(trpc.job.updateVerify.mutationOptions(opts));
  const save = editing ? (type === "prune" ? updatePrune : updateVerify) : type === "prune" ? createPrune : createVerify;
  const problems = formProblems(type, form);
  const shown = tried ? problems : {};

  const set = (patch: Partial<JobForm>) => setForm((f) => ({ ...f, ...patch }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (Object.keys(problems).length > 0) return;
    const { set: values, remove } = jobOptions(type, form);
    if (editing) {
      const input = { store, id: form.id, set: values, delete: remove };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the two update inputs differ only in the option names
      (save as typeof updatePrune).mutate(input as any);
    } else {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above, for create
      (save as typeof createPrune).mutate({ store, id: form.id.trim(), ...values } as any);
    }
  };

  const field = (key: string, label: string, value: string, onChange: (v: string) => void, hint?: string, placeholder?: string) => (
    <div className="field">
      <label className="field__label" htmlFor={`${id}-${key}`}>
        {label}
      </label>
      <input
        id={`${id}-${key}`}
        className="input"
        value={value}
        placeholder={placeholder}
        aria-invalid={shown[key] ? true : undefined}
        aria-describedby={hint || shown[key] ? `${id}-${key}-hint` : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {hint || shown[key] ? (
        <p className="field__hint" id={`${id}-${key}-hint`}>
          {shown[key] ?? hint}
        </p>
      ) : null}
    </div>
  );

  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      title={editing ? `Edit ${TITLE[type]} ${form.id}` : `Add ${TITLE[type]}`}
      description={`Runs on datastore ${store} at the times its schedule names.`}
    >
      <form onSubmit={submit} noValidate className="job-form">
        {editing ? null : field("id", "Job ID", form.id, (v) => set({ id: v }), "3 to 32 characters of A-Z a-z 0-9 _ . -")}
        {field(
          "schedule",
          "Schedule",
          form.schedule,
          (v) => set({ schedule: v }),
          "A calendar event, e.g. daily, sat 02:30, *:0/15, mon..fri 22:00 (local time; add UTC for UTC).",
          type === "verify" ? "none: run by hand only" : undefined,
        )}
        {field("ns", "Namespace", form.ns, (v) => set({ ns: v }), "Where the job starts, e.g. prod/eu; empty for the root namespace.")}
        <div className="field">
          <label className="field__label" htmlFor={`${id}-depth`}>
            Max depth
          </label>
          <select id={`${id}-depth`} className="input input--short" value={form.maxDepth} onChange={(e) => set({ maxDepth: e.target.value })}>
            <option value="">all levels</option>
            {[0, 1, 2, 3, 4, 5, 6, 7].map((d) => (
              <option key={d} value={d}>
                {d === 0 ? "0 (this namespace only)" : d}
              </option>
            ))}
          </select>
        </div>
        {type === "prune" ? (
          <fieldset className="job-form__keep">
            <legend>Keep</legend>
            {KEEP_FIELDS.map(([k, label]) => (
              <div className="field" key={k}>
                <label className="field__label" htmlFor={`${id}-${k}`}>
                  {label}
                </label>
                <input
                  id={`${id}-${k}`}
                  className="input input--short"
                  inputMode="numeric"
                  value={form.keep[k] ?? ""}
                  aria-invalid={shown[k] ? true : undefined}
                  onChange={(e) => set({ keep: { ...form.keep, [k]: e.target.value } })}
                />
                {shown[k] ? <p className="field__hint">{shown[k]}</p> : null}
              </div>
            ))}
            <p className="field__hint">Without any keep option the job keeps everything. Protected snapshots always stay.</p>
          </fieldset>
        ) : (
          <>
            <label className="check">
              <input type="checkbox" checked={form.ignoreVerified} onChange={(e) => set({ ignoreVerified: e.target.checked })} />
              Skip verified snapshots
            </label>
            {field(
              "outdatedAfter",
              "Re-verify after (days)",
              form.outdatedAfter,
              (v) => set({ outdatedAfter: v }),
              "Snapshots verified longer ago than this are verified again. Empty: never.",
            )}
          </>
        )}
        {field("comment", "Comment", form.comment, (v) => set({ comment: v }))}
        <label className="check">
          <input type="checkbox" checked={form.disable} onChange={(e) => set({ disable: e.target.checked })} />
          Disabled
        </label>
        <p className="field__hint">A disabled job keeps its settings and runs only when started by hand.</p>
        {save.error ? <ActionError title="The job could not be saved" error={save.error} /> : null}
        <SaveFooter pending={save.isPending} />
      </form>
    </Dialog>
  );
}

/** The datastore's GC schedule (PBS: the datastore's `gc-schedule` option). */
export function GcScheduleDialog({ store, schedule, onClose, onSaved }: { store: string; schedule?: string; onClose(): void; onSaved(): void }) {
  const trpc = useTRPC();
  const id = useId();
  const [value, setValue] = useState(schedule ?? "daily");
  const save = useMutation(trpc.job.setGcSchedule.mutationOptions({ onSuccess: () => onSaved() }));
  return (
    <Dialog open onOpenChange={(o) => !o && onClose()} title="GC Schedule" description={`When garbage collection runs on datastore ${store}.`}>
      <form
        noValidate
        className="job-form"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({ store, ...(value.trim() ? { schedule: value.trim() } : {}) });
        }}
      >
        <div className="field">
          <label className="field__label" htmlFor={`${id}-schedule`}>
            Schedule
          </label>
          <input id={`${id}-schedule`} className="input" value={value} placeholder="none" onChange={(e) => setValue(e.target.value)} />
          <p className="field__hint">A calendar event, e.g. daily or sat 02:30. Empty: no scheduled GC.</p>
        </div>
        {save.error ? <ActionError title="The schedule could not be saved" error={save.error} /> : null}
        <SaveFooter pending={save.isPending} />
      </form>
    </Dialog>
  );
}
