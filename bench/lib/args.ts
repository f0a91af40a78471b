import { parseArgs } from 'node:util';

export const ROWS = ['fanout', 'dispatch', 'upload', 'scale', 'sftp-choice', 'transfer', 'rtt', 'warm'] as const;
export type Row = (typeof ROWS)[number];
export const TRANSPORTS = ['tea-remote', 'tea-warm', 'floor', 'openssh', 'gnu-parallel'] as const;
export type Transport = (typeof TRANSPORTS)[number];
export type Work = 'tea' | 'stub';

export interface ScaleSpec {
  branches: number;
  hosts: number;
}

export interface BenchOptions {
  rows: Row[];
  transports: Transport[];
  reps: number;
  /** Fan-out size and hosts of rows 1 and 2. */
  branches: number;
  hosts: number;
  slots: number;
  uploadMiB: number;
  scale: ScaleSpec[];
  scaleWork: Work;
  scaleSlots: number;
  sftpChoiceFlows: number;
  /** Row 7: the RTTs (ms) the latency proxy adds, the two fan-out sizes, what each branch runs. */
  rttMs: number[];
  rttBranches: [number, number];
  rttWork: Work;
  /** Row 8: the warm runner at scale (real tea runs), BRANCHESxHOSTS. */
  warmScale: ScaleSpec;
  out: string;
  user: string | undefined;
  keep: boolean;
}

export const USAGE = `usage: npm run bench -- [options]   (or: sh scripts/bench.sh [options])
  --rows LIST            rows to run, of ${ROWS.join(',')} (default: all)
  --transports LIST      of ${TRANSPORTS.join(',')} (default: all)
  --reps N               repetitions; medians are reported (default 3)
  --branches N           fan-out size of rows 1-2 (default 30)
  --hosts N              hosts of row 1 (default 3)
  --slots N              concurrent branches per host (default 8)
  --upload-mib N         basefile size of rows 3 and 6 (default 64)
  --scale LIST           row 4 sizes, BRANCHESxHOSTS (default 300x10,1000x50)
  --scale-work tea|stub  what each branch runs in row 4 (default stub, see bench/README.md)
  --scale-slots N        slots per host in row 4 (default 8)
  --sftp-choice-flows N  flows of row 5 (default 300)
  --rtt-ms LIST          row 7 round-trip times added by the latency proxy (default 0,20,80)
  --rtt-branches A,B     row 7 fan-out sizes; per-branch cost is the slope (default 2,8)
  --rtt-work tea|stub    what each branch runs in row 7 (default tea: the stub is never cached)
  --warm-scale BxH       row 8: real branches over hosts with the warm runner (default 1000x10)
  --out DIR              where latest.md and latest.json go (default bench/results;
                         .tmp/bench when --rows is given)
  --user NAME            login user on the hosts (default: tea-bench when root, else yourself)
  --keep                 keep the scratch directory and the sshd logs
  --render [FILE]        only rewrite latest.md (and the README summary) from a results
                         JSON (default bench/results/latest.json), re-judging the targets`;

const positive = (name: string, text: string, min = 1): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got "${text}"`);
  return n;
};

function list<T extends string>(name: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.find((s) => !allowed.includes(s as T));
  if (bad !== undefined) throw new Error(`--${name}: unknown "${bad}" (expected some of ${allowed.join(',')})`);
  return items as T[];
}

function scaleList(text: string): ScaleSpec[] {
  if (text === 'none') return [];
  return text.split(',').map((item) => {
    const m = /^(\d+)x(\d+)$/.exec(item.trim());
    if (!m) throw new Error(`--scale: expected BRANCHESxHOSTS items like 300x10, got "${item}"`);
    return { branches: positive('scale', m[1]!), hosts: positive('scale', m[2]!) };
  });
}

export function parseBenchArgs(argv: string[], defaultOut: string): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      rows: { type: 'string' },
      transports: { type: 'string' },
      reps: { type: 'string' },
      branches: { type: 'string' },
      hosts: { type: 'string' },
      slots: { type: 'string' },
      'upload-mib': { type: 'string' },
      scale: { type: 'string' },
      'scale-work': { type: 'string' },
      'scale-slots': { type: 'string' },
      'sftp-choice-flows': { type: 'string' },
      'rtt-ms': { type: 'string' },
      'rtt-branches': { type: 'string' },
      'rtt-work': { type: 'string' },
      'warm-scale': { type: 'string' },
      out: { type: 'string' },
      user: { type: 'string' },
      keep: { type: 'boolean' },
    },
  });
  const scaleWork = values['scale-work'] ?? 'stub';
  if (scaleWork !== 'tea' && scaleWork !== 'stub') throw new Error(`--scale-work: expected tea or stub, got "${scaleWork}"`);
  const rttWork = values['rtt-work'] ?? 'tea';
  if (rttWork !== 'tea' && rttWork !== 'stub') throw new Error(`--rtt-work: expected tea or stub, got "${rttWork}"`);
  const rttMs = (values['rtt-ms'] ?? '0,20,80').split(',').map((x) => positive('rtt-ms', x.trim(), 0));
  const rttBranches = (values['rtt-branches'] ?? '2,8').split(',').map((x) => positive('rtt-branches', x.trim()));
  if (rttBranches.length !== 2 || rttBranches[0]! >= rttBranches[1]!) throw new Error(`--rtt-branches: expected two sizes A,B with A < B, got "${values['rtt-branches']}"`);
  const user = values.user;
  if (user !== undefined && !/^[a-z_][a-z0-9_-]*$/.test(user)) throw new Error(`--user: not a user name: "${user}"`);
  return {
    rows: values.rows === undefined ? [...ROWS] : list('rows', values.rows, ROWS),
    transports: values.transports === undefined ? [...TRANSPORTS] : list('transports', values.transports, TRANSPORTS),
    reps: positive('reps', values.reps ?? '3'),
    branches: positive('branches', values.branches ?? '30'),
    hosts: positive('hosts', values.hosts ?? '3'),
    slots: positive('slots', values.slots ?? '8'),
    uploadMiB: positive('upload-mib', values['upload-mib'] ?? '64'),
    scale: scaleList(values.scale ?? '300x10,1000x50'),
    scaleWork,
    scaleSlots: positive('scale-slots', values['scale-slots'] ?? '8'),
    sftpChoiceFlows: positive('sftp-choice-flows', values['sftp-choice-flows'] ?? '300'),
    rttMs,
    rttBranches: [rttBranches[0]!, rttBranches[1]!],
    rttWork,
    warmScale: scaleList(values['warm-scale'] ?? '1000x10')[0] ?? { branches: 1000, hosts: 10 },
    out: values.out ?? defaultOut,
    user,
    keep: values.keep ?? false,
  };
}
