"use client";
/**
 * The `Target namespace` field of the move dialogs: type a path or pick one of the store's
 * namespaces from the suggestions (a native datalist: arrow keys and typeahead work everywhere).
 * The field starts empty (nothing is chosen for the user); `/` is the root namespace
 * (namespace-input.ts). The problem, if any, shows at the field and is tied to it with
 * aria-describedby, before any request is sent.
 */
import { useId } from "react";

export function NamespaceTargetPicker({
  value,
  onChange,
  options,
  problem,
  hint,
  autoFocus,
}: {
  value: string;
  onChange(value: string): void;
  /** Namespaces to suggest ("" is offered as `/`, the root, where allowed). */
  options: readonly string[];
  problem?: string;
  hint: string;
  autoFocus?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label className="field__label" htmlFor={`${id}-target`}>
        Target namespace
      </label>
      <input
        id={`${id}-target`}
        className="input mono"
        list={`${id}-namespaces`}
        value={value}
        autoFocus={autoFocus}
        autoComplete="off"
        spellCheck={false}
        placeholder="Type or pick a namespace"
        aria-invalid={problem ? true : undefined}
        aria-describedby={`${id}-hint`}
        onChange={(e) => onChange(e.target.value)}
        onFocus={(e) => e.currentTarget.select()}
      />
      <datalist id={`${id}-namespaces`}>
        {options.map((ns) => (
          <option key={ns} value={ns === "" ? "/" : ns}>
            {ns === "" ? "the root namespace" : ns}
          </option>
        ))}
      </datalist>
      <p className="field__hint" id={`${id}-hint`}>
        {problem ? <span className="field__error">{problem}</span> : hint}
      </p>
    </div>
  );
}
