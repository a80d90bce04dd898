import { DEMO_STORE, ensureDemoDatastore } from "../demo-store";
import type { Command } from "../command";
import { emit } from "../output";

export const demoCommands: Command[] = [
  {
    path: ["demo", "ensure"],
    summary: `Create the demo datastore '${DEMO_STORE}' unless it exists`,
    description: `Create the demo datastore '${DEMO_STORE}' with sample backups, unless it exists (npm start runs this).`,
    spec: { positionals: [], options: {} },
    async run(_args, format) {
      const created = await ensureDemoDatastore((line) => {
        if (format === "text") process.stdout.write(`${line}\n`);
      });
      emit(format, { store: DEMO_STORE, created }, () => {
        if (!created) process.stdout.write(`demo datastore '${DEMO_STORE}' already exists\n`);
      });
    },
  },
];
