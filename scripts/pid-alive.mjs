// @ts-check
/**
 * Whether a process with this pid runs, for the scripts that clean up after processes that were
 * killed (page-process.mjs: socket directories; cli-bundle.mjs: temporary build outputs). A pid
 * of another user's process (EPERM) counts as running: its files are not ours to remove.
 * @param {number} pid
 * @returns {boolean}
 */
export function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === "EPERM";
  }
}
