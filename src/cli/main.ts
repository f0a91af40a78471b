import { config as zodConfig } from 'zod';
import { TeaError } from '../errors';
import { runCli } from './program';

// The executable: wires the process (argv, stdio, signals, exit code) to runCli.

// A CLI process validates a few documents once: zod's JIT (a parser compiled with
// `new Function` per object schema on first use) costs every `tea run` ~10 ms more than it
// saves. Set here, not in the library, whose zod may be the embedding program's.
zodConfig({ jitless: true });

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
const controller = new AbortController();
let interruptedBy: keyof typeof SIGNAL_EXIT | undefined;

for (const signal of Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[]) {
  process.on(signal, () => {
    // A second signal means "now": the run did not stop in time.
    if (interruptedBy !== undefined) process.exit(SIGNAL_EXIT[signal]);
    interruptedBy = signal;
    controller.abort(new TeaError('E_CANCELLED', `interrupted by ${signal}`));
  });
}

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  signal: controller.signal,
}).then(
  (code) => exit(code !== 0 && interruptedBy !== undefined ? SIGNAL_EXIT[interruptedBy] : code),
  (error: unknown) => {
    process.stderr.write(`Error: ${String(error)}\n`);
    exit(1);
  },
);

// Exit explicitly: a node may leave a timer or socket open, which must not keep
// `tea run` (or a branch's child process) alive after the run has ended.
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
}
