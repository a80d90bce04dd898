/**
 * What a person types for a namespace, checked at the field with messages that say what is
 * allowed (the engine's own texts, such as "namespace too deep, 7 >= max 7", are PBS's and stay
 * for the API and the CLI). The server checks everything again.
 *
 * In the move dialogs an empty field means "not chosen yet", and `/` names the root namespace,
 * so that no target is ever chosen for the user.
 */
import {
  BackupNamespace,
  MAX_BACKUP_NAMESPACE_LENGTH,
  MAX_NAMESPACE_COMPONENT_LENGTH,
  MAX_NAMESPACE_DEPTH,
  SAFE_ID_REGEX,
} from "@/server/datastore/model/names";

/** The rule for one name, as the fields say it. */
export const NAMESPACE_NAME_RULE = `letters, digits, _ . - (not starting with . or -), at most ${MAX_NAMESPACE_COMPONENT_LENGTH} characters`;

/** Why `name` cannot be one namespace's name, or undefined. */
export function namespaceNameProblem(name: string): string | undefined {
  if (name === "") return "Enter a name.";
  if (name.length > MAX_NAMESPACE_COMPONENT_LENGTH || !SAFE_ID_REGEX.test(name)) {
    return `'${name.length > 40 ? `${name.slice(0, 40)}…` : name}' is not a valid name: use ${NAMESPACE_NAME_RULE}.`;
  }
  return undefined;
}

/** Why `path` (`a/b/c`, "" for the root) is not a namespace path, or undefined. */
export function namespacePathProblem(path: string): string | undefined {
  if (path === "") return undefined;
  const parts = path.split("/");
  if (parts.some((p) => p === "")) return "Separate the names with single slashes, with none at the start or the end.";
  for (const part of parts) {
    const problem = namespaceNameProblem(part);
    if (problem) return problem;
  }
  if (parts.length > MAX_NAMESPACE_DEPTH) return `Namespaces go at most ${MAX_NAMESPACE_DEPTH} levels deep; this path has ${parts.length}.`;
  if (path.length > MAX_BACKUP_NAMESPACE_LENGTH) return `A namespace path has at most ${MAX_BACKUP_NAMESPACE_LENGTH} characters; this one has ${path.length}.`;
  // Anything the engine still refuses, in its words.
  try {
    BackupNamespace.parse(path);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** The namespace a move dialog's target field names: undefined while empty, "" for `/`. */
export function targetFromText(text: string): string | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  return t === "/" ? "" : t;
}
