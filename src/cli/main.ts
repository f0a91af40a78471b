import { config as zodConfig } from 'zod';
import { loadHostRunner, RUNNER_COMMAND, STANDBY_SLOT, TeaError } from '../cli-api';
import { runCli } from './program';

// The executable: wires the process (argv, stdio, signals, exit code) to runCli.

// A CLI process validates a few documents once: zod's JIT (a parser compiled with
// `new Function` per object schema on first use) costs every `tea run` ~10 ms more than it
// saves. Set here, not in the library, whose zod may be the embedding program's.
zodConfig({ jitless: true });

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
const controller = new AbortController();
let interruptedBy: keyof typeof SIGNAL_EXIT | undefined;

// The runner handles its own signals: ending every branch it runs comes before exiting.
for (const signal of process.argv[2] === RUNNER_COMMAND ? [] : (Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[])) {
  process.on(signal, () => {
    // A second signal means "now": the run did not stop in time.
    if (interruptedBy !== undefined) process.exit(SIGNAL_EXIT[signal]);
    interruptedBy = signal;
    controller.abort(new TeaError('E_CANCELLED', `interrupted by ${signal}`));
  });
}

// `tea __runner`: the warm runner on a host (src/remote/runner/host-runner.ts), started by
// tea itself over SSH, never by a user; loaded on use so `tea run` does not pay for it.
if (process.argv[2] === RUNNER_COMMAND) {
  const { runHostRunner } = loadHostRunner();
  const [, , , tea, nonce, grace, runDir] = process.argv;
  runHostRunner({ tea: tea!, nonce: nonce!, graceSeconds: Number(grace), runDir: runDir! }).then(exit, () => exit(1));
} else {
  // A warm runner's standby worker: the program is loaded; its branch (argv, env) comes later.
  const standby = (globalThis as Record<symbol, Promise<void> | undefined>)[STANDBY_SLOT];
  if (standby === undefined) cli();
  else void standby.then(cli);
}

function cli(): void {
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
}

// Exit explicitly: a node may leave a timer or socket open, which must not keep
// `tea run` (or a branch's child process) alive after the run has ended.
function exit(code: number): void {
  process.exitCode = code;
  // Interrupted: what stdout has not taken (a pipe nobody reads) would never drain; leave now.
  if (interruptedBy !== undefined) process.exit(code);
  process.stdout.write('', () => process.exit(code));
}
