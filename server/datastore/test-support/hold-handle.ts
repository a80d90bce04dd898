/** Child process for open tests: opens `<store>` for `<op>`, prints `open`, waits to be killed. */
import type { Operation } from "../model/types";
import { openDatastore } from "../open";

const [store, op] = process.argv.slice(2);
await openDatastore(store!, op as Operation);
process.stdout.write("open\n");
setInterval(() => {}, 1 << 30);
