import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseParallelConfig } from '../../../src/config/parallel';
import { TeaError } from '../../../src/errors';
import type { ParallelFlowResult } from '../../../src/executors/types';
import { RemoteExecutor } from '../../../src/remote/executor';
import type { HostsFixture } from '../../harness/hosts';
import { capture, flow, type Captured } from '../remote/helpers';

export { flow };

/** A private temp directory for this test file's keys, configs and known_hosts copies. */
export const scratch = (): string => mkdtempSync(join(tmpdir(), 'tea-sec-'));

export interface Outcome extends Captured {
  results: ParallelFlowResult[];
  /** What execute() threw, if it threw (config errors do: before any connection). */
  thrown?: TeaError;
}

/** Runs flows of FANOUT_YAML on the fixture with `remote` overrides; never throws. */
export async function runFlows(fx: HostsFixture, flows: ReturnType<typeof flow>[], remote: Record<string, unknown>, workflowText?: string): Promise<Outcome> {
  const captured = capture(workflowText);
  const executor = new RemoteExecutor(captured.context);
  let results: ParallelFlowResult[] = [];
  let thrown: TeaError | undefined;
  try {
    const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig(remote) });
    results = await executor.execute(flows, config);
  } catch (error) {
    if (!(error instanceof TeaError)) throw error;
    thrown = error;
  } finally {
    await executor.close();
  }
  return { ...captured, results, ...(thrown === undefined ? {} : { thrown }) };
}
