#!/usr/bin/env node
// Real OpenSSH test hosts on loopback, outside jest (demo, manual runs, GNU Parallel checks).
//
//   node scripts/local-hosts.mjs start --count 3 --dir DIR [--option Key=Value ...] [--wrong-key-on I ...]
//       [--user NAME | --shell sh|bash|dash|zsh|fish|tcsh|busybox-ash [--rc-output TEXT]]
//       [--server openssh|dropbear] [--sftp internal|external|none|stalled] [--max-sessions N]
//       prints a JSON description of the hosts and leaves them running detached
//   node scripts/local-hosts.mjs stop --dir DIR [--rm]
//       kills them (and every session under them); --rm also deletes DIR
//
// The logic is shared with the jest fixture: test/harness/sshd-core.js.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { LocalSshdCluster } = require('../test/harness/sshd-core.js');

const USAGE = 'usage: local-hosts.mjs start --count N --dir DIR [--option Key=Value]... [--wrong-key-on I]...\n'
  + '         [--user NAME | --shell sh|bash|dash|zsh|fish|tcsh|busybox-ash [--rc-output TEXT]]\n'
  + '         [--server openssh|dropbear] [--sftp internal|external|none|stalled] [--max-sessions N]\n'
  + '       local-hosts.mjs stop --dir DIR [--rm]';

function parseArgs(argv) {
  const out = { command: argv[0], count: 3, dir: undefined, options: {}, wrongKeyOn: [], rm: false, user: undefined, loginShell: undefined, rcOutput: undefined, sftp: undefined, maxSessions: undefined, server: undefined };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--count') out.count = Number(value());
    else if (arg === '--dir') out.dir = value();
    else if (arg === '--option') {
      const [key, ...rest] = value().split('=');
      if (!key || rest.length === 0) throw new Error(`--option expects Key=Value (got "${argv[i]}")`);
      out.options[key] = rest.join('=');
    } else if (arg === '--wrong-key-on') out.wrongKeyOn.push(Number(value()));
    else if (arg === '--user') out.user = value();
    else if (arg === '--shell') out.loginShell = value();
    else if (arg === '--rc-output') out.rcOutput = value();
    else if (arg === '--sftp') out.sftp = value();
    else if (arg === '--server') out.server = value();
    else if (arg === '--max-sessions') out.maxSessions = Number(value());
    else if (arg === '--rm') out.rm = true;
    else throw new Error(`unknown argument "${arg}"`);
  }
  if (!out.dir) throw new Error('--dir is required');
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.command === 'start') {
    const cluster = await LocalSshdCluster.start({
      count: args.count, dir: args.dir, sshdOptions: args.options, wrongKeyOn: args.wrongKeyOn, keepRunning: true,
      ...(args.user ? { user: args.user } : {}),
      ...(args.loginShell ? { loginShell: args.loginShell } : {}),
      ...(args.rcOutput !== undefined ? { rcOutput: args.rcOutput } : {}),
      ...(args.sftp ? { sftp: args.sftp } : {}),
      ...(args.server ? { server: args.server } : {}),
      ...(args.maxSessions !== undefined ? { maxSessions: args.maxSessions } : {}),
    });
    process.stdout.write(`${JSON.stringify(cluster.describe(), null, 2)}\n`);
  } else if (args.command === 'stop') {
    await LocalSshdCluster.fromDir(args.dir).stop();
    if (args.rm) rmSync(args.dir, { recursive: true, force: true });
  } else {
    throw new Error(`unknown command "${args.command ?? ''}"`);
  }
}

main().catch((err) => {
  process.stderr.write(`local-hosts: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exitCode = 1;
});
