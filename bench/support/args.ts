/** `--name N` from the command line: a positive whole number, or `dflt` when not given. */
export function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? dflt : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} takes a positive whole number, not '${process.argv[i + 1]}'`);
  return v;
}
