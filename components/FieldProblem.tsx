/**
 * The line under a form field: what is allowed (hint) until the input breaks a rule, then what
 * is wrong and what is allowed instead (error), in the same place so that the form does not
 * jump. The input points at it with aria-describedby and sets aria-invalid from `problem`.
 */
export function FieldProblem({ id, problem, hint, alert }: { id: string; problem: string | undefined; hint?: string; alert?: boolean }) {
  if (problem) {
    return (
      // `alert`: a refusal from the server, announced when it arrives (not for rules while typing).
      <p className="field__error" id={id} role={alert ? "alert" : undefined}>
        {problem}
      </p>
    );
  }
  return hint ? (
    <p className="field__hint" id={id}>
      {hint}
    </p>
  ) : null;
}

/** The message of the rule `check` finds broken (it throws), or undefined when none is. */
export function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
