/**
 * `deploy BUNDLE`: one run, one host, one session: start the run, connect, run the per-host
 * pipeline (host.ts), finish the run. See docs/deploy.md for the result shape.
 */
import { loadTrust } from "../bundle/signing/trust";
import { toZwhError } from "../core/errors";
import { addressLabel } from "../core/host-name";
import { connectTitle } from "../remote/target";
import type { Transport } from "../remote/transport";
import { StepTimer } from "./apply";
import { openTransport, reopenTransport } from "./connect";
import { deployHost, inStep } from "./host";
import { startEarlyVerify, type EarlyVerify } from "./early-verify";
import { checkRoot } from "./layout";
import { localBundle } from "./local-bundle";
import { RunRecorder } from "./record";
import type { DeployOptions, DeployResult } from "./types";

/** The root as the inventory records it, or none when it is not a valid root. */
function normalisedRoot(root: string): string | undefined {
  try {
    return checkRoot(root);
  } catch {
    return undefined;
  }
}

export async function deploy(o: DeployOptions): Promise<DeployResult> {
  const t0 = Date.now();
  const timer = new StepTimer(o.progress);
  const run = await RunRecorder.start(o.store, "deploy", o.argv);
  let t: Transport | undefined;
  let connected = false;
  let local: { dir: string; cleanup: () => void } | undefined;
  let early: EarlyVerify | undefined;
  try {
    const trust = loadTrust(o.trustPath);
    // Local inputs first: nothing connects for a bundle that cannot be deployed (local-bundle.ts).
    local = await localBundle(o.bundleDir, trust).catch((e) => { throw inStep("verify-bundle", e); });
    early = await startEarlyVerify({ bundleDir: local.dir, trust, spec: o.spec, root: o.root, store: o.store, now: o.now });
    t = await timer.step("connect", connectTitle(o.spec), () => openTransport(o.spec, o.env));
    connected = true;
    const r = await deployHost(t, run, { ...o, bundleDir: local.dir, trust, timer, startedAt: t0, reopen: () => reopenTransport(o.spec, o.env), earlyVerify: early });
    if (run.recording) {
      await run.finish(r.dryRun
        ? { status: "ok", exitCode: r.plan.blockers.length ? 3 : 0 }
        : { status: r.changed ? "changed" : "ok", exitCode: 0 });
    }
    return r;
  } catch (e) {
    const err = inStep("connect", e);
    // deployHost records its host's failure; a failed connect is recorded here.
    if (!connected) await run.hostFailed(await run.hostName(o.spec).catch(() => addressLabel(o.spec)), o.spec, err, String(err.details?.step ?? "connect"), undefined, normalisedRoot(o.root)).catch(() => undefined);
    await run.finishFailed(err, String(err.details?.step ?? "connect"));
    throw toZwhError(err);
  } finally {
    early?.stop(); // no file pass outlives the deploy (a failed connect, a re-deploy)
    await early?.result;
    await t?.close().catch(() => undefined);
    local?.cleanup();
  }
}
