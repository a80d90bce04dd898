/**
 * `coffer task list|log|stop` (PBS `proxmox-backup-manager task ...`), the hidden `task run`
 * that every task process is, and the hidden `debug task-sleep`.
 */
import { errorMessage } from "../../datastore/model/errors";
import { takeAnnounceFd, writeAnnouncement, type Announcement } from "../../tasks/core/announce";
import { followTaskLog } from "../../tasks/core/follow";
import { stopTask } from "../../tasks/core/runner";
import { rfc3339Local, type TaskLogLine } from "../../tasks/core/task-log";
import { listTasks, type TaskListItem } from "../../tasks/core/task-list";
import { taskStatus } from "../../tasks/core/task-status";
import { parseUpid } from "../../tasks/core/upid";
import { runWorker } from "../../tasks/core/worker";
import type { Command } from "../command";
import { req, str } from "../command";
import { LineBatcher, printError, printJson, printTable } from "../output";
import { isSuccessStatus, runTaskCommand } from "../run-task";

const UPID = { name: "upid", metavar: "<upid>", description: "the task's id, UPID:... as 'coffer task list' shows it" };

/** After a task ends, this process exits even if something (an engine timer) keeps it alive. */
const EXIT_GRACE_MS = 1000;

export const taskCommands: Command[] = [
  {
    path: ["task", "list"],
    summary: "List running tasks (--all: finished ones too)",
    description: "List the running tasks, or with --all every task, newest first.",
    spec: {
      positionals: [],
      options: {
        all: { type: "boolean", description: "include finished tasks" },
        limit: { type: "integer", min: 0, max: 100000, description: "list at most N tasks (default 50; 0 lists all)" },
      },
    },
    async run(args, format) {
      const all = args.options.all === true;
      const { data } = await listTasks({ running: !all, limit: (args.options.limit as number | undefined) ?? 50 });
      if (format === "json") return printJson(data);
      printTable<TaskListItem>(
        data,
        [
          { header: "start time", value: (t) => rfc3339Local(new Date(t.starttime * 1000)) },
          { header: "type", value: (t) => t.worker_type },
          { header: "id", value: (t) => t.worker_id ?? "" },
          { header: "user", value: (t) => t.user },
          { header: "status", value: (t) => t.status ?? "running" },
          { header: "upid", value: (t) => t.upid },
        ],
        all ? "(no tasks)" : "(no running tasks; --all lists finished ones too)",
      );
    },
  },
  {
    path: ["task", "log"],
    summary: "Print a task's log; follows a running task",
    description: "Print a task's log; a running task's log is followed until it ends (Ctrl-C stops following, not the task).",
    spec: { positionals: [UPID], options: {} },
    async run(args, format) {
      const upid = req(args, "upid");
      parseUpid(upid);
      const following = new AbortController();
      const onInterrupt = () => following.abort();
      process.on("SIGINT", onInterrupt);
      const lines: TaskLogLine[] = [];
      let ended: boolean;
      const out = new LineBatcher((text) => process.stdout.write(text));
      try {
        ({ ended } = await followTaskLog(
          upid,
          (line) => {
            if (format === "json") lines.push(line);
            else out.add(`${line.t}\n`);
          },
          { signal: following.signal, onCaughtUp: () => out.flush() },
        ));
      } finally {
        process.off("SIGINT", onInterrupt);
      }
      const status = await taskStatus(upid);
      if (format === "json") printJson({ upid, status: status.status, exitstatus: status.exitstatus, lines });
      // As PBS's display_task_log: a failed task fails the command, unless we stopped following.
      if (ended && status.status === "stopped" && !isSuccessStatus(status.exitstatus)) {
        printError(`task failed (status: ${status.exitstatus})`);
        return 1;
      }
      return 0;
    },
  },
  {
    path: ["task", "stop"],
    summary: "Ask a running task to abort",
    description: "Ask a running task to abort; it ends with 'TASK ERROR: abort requested - aborting task'.",
    spec: { positionals: [UPID], options: {} },
    async run(args, format) {
      const upid = req(args, "upid");
      const { signalled } = await stopTask(upid);
      if (format === "json") return printJson({ upid, signalled });
      process.stdout.write(signalled ? `abort requested: ${upid}\n` : `task is not running: ${upid}\n`);
    },
  },
  {
    path: ["task", "run"],
    hidden: true,
    summary: "Run a task in this process (what every task process is; started by the runner).",
    spec: {
      positionals: ["kind"],
      options: {
        args: { type: "string", description: "the task's arguments as JSON" },
        "auth-id": { type: "string", description: "the UPID's auth id" },
      },
    },
    async run(args) {
      const fd = takeAnnounceFd();
      const announce = (msg: Announcement) => {
        if (fd !== undefined) writeAnnouncement(fd, msg);
        else if ("upid" in msg) process.stdout.write(`${msg.upid}\n`);
        else printError(msg.error);
      };
      let code: number;
      try {
        code = await runWorker(req(args, "kind"), str(args, "args") ?? "{}", { authId: str(args, "auth-id"), announce });
      } catch (err) {
        // Only reached for errors outside the task itself; runWorker announces its own.
        announce({ error: errorMessage(err), code: "INTERNAL" });
        code = 1;
      }
      setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
      return code;
    },
  },
  {
    path: ["debug", "task-sleep"],
    hidden: true,
    summary: "Run a debug task that logs 'progress i of N' every 100 ms for --seconds N (for tests).",
    spec: {
      positionals: [],
      options: {
        seconds: { type: "integer", min: 0, max: 86400, required: true },
        fail: { type: "boolean", description: "end with TASK ERROR" },
        warn: { type: "boolean", description: "log one warning" },
      },
    },
    async run(args, format) {
      const seconds = args.options.seconds as number;
      const taskArgs = { seconds, fail: args.options.fail === true, warn: args.options.warn === true };
      return runTaskCommand("debug-sleep", taskArgs, format, { abortOnInterrupt: true });
    },
  },
];
