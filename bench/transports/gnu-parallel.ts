import { teaCli } from './tea-remote';
import type { FanoutRunner } from './types';

/**
 * tea-remote's GNU Parallel plan (src/plan/, `settings.parallel.remote.gnu_parallel:
 * run`): the same `dist/tea run` of the same workflow, with the fan-out handed to the
 * real `parallel` (--sshlogin N/..., --basefile, --transferfile, --return, --cleanup,
 * --workdir; rsync and perl on both sides) and its results collected by tea.
 */
export const runGnuParallel: FanoutRunner = teaCli({ gnu_parallel: 'run' });
