/**
 * TEST SEAM, off unless both variables are set: lets a test pause a `deploy` run by the built CLI
 * at a step boundary, so it can act on the target mid-flight (e.g. break the lock under it).
 *
 *   ZWH_TEST_PAUSE_AT=<step id>   (a DeployStepId: lock, upload, install, activate, ...)
 *   ZWH_TEST_PAUSE_DIR=<dir>      the run writes <dir>/paused (the step name) and waits until
 *                                 <dir>/resume exists (checked every 100 ms, at most 10 minutes)
 *
 * It only ever waits; it changes nothing a run does.
 */
import { existsSync, writeFileSync } from "fs";
import { join } from "path";
import type { DeployHooks } from "../../index";

const MAX_WAIT_MS = 10 * 60_000;

export function testPauseHooks(env: NodeJS.ProcessEnv): DeployHooks | undefined {
  const at = env.ZWH_TEST_PAUSE_AT;
  const dir = env.ZWH_TEST_PAUSE_DIR;
  if (!at || !dir) return undefined;
  return {
    beforeStep: async (step) => {
      if (step !== at) return;
      writeFileSync(join(dir, "paused"), step);
      const t0 = Date.now();
      while (!existsSync(join(dir, "resume")) && Date.now() - t0 < MAX_WAIT_MS) await new Promise((r) => setTimeout(r, 100));
    },
  };
}
