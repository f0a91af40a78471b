import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseParallelConfig } from '../../../src/config/parallel';
import { buildPlan, remoteDirFor, specFromConfig, type PlanSpec } from '../../../src/plan/gnu-parallel';
import { sshCommand, sshLogin, type SshSettings } from '../../../src/plan/ssh-login';

const HOSTILE_NAMES = ['plain', 'with space', "it's", '"double"', '$(touch /tmp/pwned)', '`id`', 'a;b|c&d', 'line\nbreak', 'tab\there', 'ünïcødé ✓', ':::', '{1}', '-dash', '*'];

const ssh: SshSettings = {
  knownHosts: '/home/me/.ssh/known hosts',
  strictHostKeyChecking: 'yes',
  identityFile: '/keys/shared key',
  connectTimeoutSeconds: 20,
  keepaliveIntervalSeconds: 5,
  keepaliveCountMax: 3,
};

const spec = (overrides: Partial<PlanSpec> = {}): PlanSpec => ({
  flows: HOSTILE_NAMES.map((n) => ({ entryPoint: n, exitPoint: 'join here' })),
  hosts: [
    { id: 'tea@build-1:2222', host: 'build-1', port: 2222, user: 'tea', slots: 4 },
    { id: 'root@[::1]:22', host: '::1', port: 22, user: 'root', slots: 1 },
    { id: 'ci@10.0.0.5:22', host: '10.0.0.5', port: 22, user: 'ci', slots: 8, identityFile: '/keys/own, key' },
  ],
  ssh,
  remoteDir: '/srv/tea-jobs/gp-run-1',
  tries: 1,
  failFast: false,
  cleanup: true,
  killGraceSeconds: 5,
  ...overrides,
});

/** Runs `line` through a real POSIX sh with a stand-in `parallel` that prints what it received. */
let bin: string;
beforeAll(() => {
  bin = mkdtempSync(path.join(os.tmpdir(), 'tea-fake-parallel-'));
  writeFileSync(path.join(bin, 'parallel'), '#!/bin/sh\nprintf "%s\\0" "$PARALLEL_SHELL" "$@"\n');
  chmodSync(path.join(bin, 'parallel'), 0o755);
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));
function throughShell(line: string): { env: string; argv: string[] } {
  const out = execFileSync('sh', ['-c', line], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } }).toString();
  const [env, ...argv] = out.split('\0').slice(0, -1);
  return { env: env!, argv: ['parallel', ...argv] };
}

/** Splits a shell fragment into words as sh would (GNU Parallel pastes --ssh into shell commands). */
function words(fragment: string): string[] {
  return execFileSync('sh', ['-c', `for w in ${fragment}; do printf '%s\\0' "$w"; done`]).toString().split('\0').slice(0, -1);
}

describe('buildPlan', () => {
  it('gives a one-line form that a real POSIX sh turns back into exactly the argv and environment', () => {
    const plan = buildPlan(spec());
    expect(throughShell(plan.run.line)).toEqual({ env: '/bin/sh', argv: plan.run.argv });
    expect(plan.run.env).toEqual({ PARALLEL_SHELL: '/bin/sh' });
    expect(plan.sweep).toHaveLength(3);
    for (const sweep of plan.sweep) expect(words(sweep.line)).toEqual(sweep.argv);
  });

  it('puts every option before the command and the NUL-separated input sources after it', () => {
    const { argv } = buildPlan(spec()).run;
    const command = argv.indexOf(buildPlan(spec()).jobCommand);
    expect(command).toBeGreaterThan(0);
    const flags = new Set(['--null', '--cleanup']);
    for (let i = 1; i < command; i += flags.has(argv[i]!) ? 1 : 2) expect(argv[i]).toMatch(/^--[a-z]/);
    expect(argv.slice(command + 1)).toEqual(['::::', 'args/flow-ids', '::::+', 'args/entry-points', '::::+', 'args/exit-points']);
    expect(argv[1]).toBe('--null');
    // Branch names never appear in the argv: they travel in the NUL-separated files, so
    // ":::" or a newline in a name cannot be read as GNU Parallel syntax.
    for (const name of ['with space', "it's", '$(touch /tmp/pwned)', 'line\nbreak', 'join here']) {
      expect(argv.some((a) => a.includes(name))).toBe(false);
    }
  });

  it('runs each job in the work dir where basefiles, input and result land, with {2}/{3} left for GNU Parallel to quote', () => {
    const plan = buildPlan(spec());
    const opt = (name: string) => plan.run.argv.flatMap((a, i, all) => (all[i - 1] === name ? [a] : []));
    expect(opt('--workdir')).toEqual(['/srv/tea-jobs/gp-run-1']);
    expect(opt('--basefile')).toEqual(['tea', 'workflow.yaml']);
    expect(opt('--transferfile')).toEqual(['flows/{1}/input.json']);
    expect(opt('--return')).toEqual(['flows/{1}/result.json']);
    expect(opt('--results')).toEqual(['flows/{1}/out']);
    expect(opt('--joblog')).toEqual(['joblog.tsv']);
    expect(opt('--termseq')).toEqual(['TERM,5000,KILL,25']);
    expect(opt('--jobs')).toEqual(['100%']);
    expect(plan.jobCommand).toBe(
      'umask 077 && env TEA_REMOTE_BRANCH=1 ./tea run workflow.yaml --entry-point={2} --exit-point={3} --input flows/{1}/input.json --output flows/{1}/result.json',
    );
    expect(plan.run.argv).toContain('--cleanup');
    // The sweep is a plain ssh per host, each with that host's key, port and user.
    const rm = 'rm -rf -- /srv/tea-jobs/gp-run-1';
    expect(plan.sweep.map((c) => c.argv.slice(-8))).toEqual([
      ['/keys/shared key', '-p', '2222', '-l', 'tea', '--', 'build-1', rm],
      ['/keys/shared key', '-p', '22', '-l', 'root', '--', '::1', rm],
      ['/keys/own, key', '-p', '22', '-l', 'ci', '--', '10.0.0.5', rm],
    ]);
  });

  it('writes sshlogins with N/ slots, user and port (IPv6 in brackets), and a host with its own key gets its own ssh command', () => {
    const { argv } = buildPlan(spec()).run;
    const logins = argv.flatMap((a, i) => (argv[i - 1] === '--sshlogin' ? [a] : []));
    expect(logins[0]).toBe('4/tea@build-1:2222');
    expect(logins[1]).toBe('1/root@[::1]:22');
    // GNU Parallel splits sshlogins on commas: a literal one is doubled.
    expect(logins[2]).toBe(`8/${sshCommand(ssh, '/keys/own, key').replace(/,/g, ',,')} ci@10.0.0.5:22`);
    expect(logins[2]).toContain("-i '/keys/own,, key'");
  });

  it('quotes the --ssh command so the shell (and rsync -e) see one word per option, spaces kept', () => {
    const value = buildPlan(spec()).run.argv[buildPlan(spec()).run.argv.indexOf('--ssh') + 1]!;
    expect(words(value)).toEqual([
      'ssh',
      '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=20',
      '-o', 'ServerAliveInterval=5',
      '-o', 'ServerAliveCountMax=3',
      '-o', 'UserKnownHostsFile="/home/me/.ssh/known hosts"',
      '-o', 'StrictHostKeyChecking=yes',
      '-i', '/keys/shared key',
    ]);
    expect(value).not.toContain("\\'"); // rsync's -e parser has no backslash escapes
  });

  it('maps timeout, retries, fail_fast and cleanup to their options, and leaves them out when unset', () => {
    const bare = buildPlan(spec({ cleanup: false })).run.argv;
    for (const option of ['--timeout', '--retries', '--halt', '--cleanup']) expect(bare).not.toContain(option);
    expect(buildPlan(spec({ cleanup: false })).sweep).toEqual([]);
    const full = buildPlan(spec({ timeoutSeconds: 2.5, tries: 3, failFast: true, killGraceSeconds: 1 })).run.argv;
    const after = (o: string) => full[full.indexOf(o) + 1];
    expect([after('--timeout'), after('--retries'), after('--halt'), after('--termseq')]).toEqual(['2.5', '3', 'soon,fail=1', 'TERM,1000,KILL,25']);
  });

  it('refuses what GNU Parallel would misread: a work dir a shell would change, a NUL in a name', () => {
    // GNU Parallel 20221122 runs `mkdir -p <workdir>` through ssh quoted once: "/tmp/a b" would make /tmp/a and ~/b.
    for (const dir of ['/tmp/a b/w', '/tmp/{1}', "/tmp/it's", '/tmp/$(x)', '~/w', '']) {
      expect(() => buildPlan(spec({ remoteDir: dir }))).toThrow(/settings\.parallel\.remote\.workdir: .* unquoted/);
    }
    expect(() => buildPlan(spec({ flows: [{ entryPoint: 'a\0b', exitPoint: 'j' }] }))).toThrow(/NUL/);
    expect(() => buildPlan(spec({ hosts: [] }))).toThrow(/at least one host/);
  });

  it('is pure: the same spec gives the same plan', () => {
    expect(buildPlan(spec())).toEqual(buildPlan(spec()));
  });
});

describe('remoteDirFor', () => {
  it('puts each run and fan-out in its own directory; ~/ means under the login directory', () => {
    expect(remoteDirFor('/tmp/tea-jobs', 'r1', 2)).toBe('/tmp/tea-jobs/gp-r1-2');
    expect(remoteDirFor('~/jobs/', 'r1', 1)).toBe('jobs/gp-r1-1');
    expect(remoteDirFor('~', 'r1', 1)).toBe('gp-r1-1');
    expect(remoteDirFor('/a/./b', 'r', 1)).toBe('/a/b/gp-r-1');
  });
});

describe('specFromConfig', () => {
  const config = (extra: Record<string, unknown> = {}, remote: Record<string, unknown> = {}) =>
    parseParallelConfig({
      strategy: 'remote',
      ...extra,
      remote: { hosts: ['3/deploy@web-1:2200', { host: 'web-2', identity_file: '/k/web2' }], identity_file: '/k/shared', ...remote },
    });
  const flows = [{ entryPoint: 'a', exitPoint: 'j' }];

  it('takes hosts, slots, ports and ssh settings from settings.parallel.remote', () => {
    const { spec: s } = specFromConfig(config({}, { known_hosts: '/kh', strict_host_key_checking: 'accept-new', max_channels_per_host: 5 }), flows, '/w/gp');
    expect(s.hosts.map((h) => [h.id, h.slots, h.identityFile])).toEqual([
      ['deploy@web-1:2200', 3, undefined],
      [`${os.userInfo().username}@web-2:22`, 5, '/k/web2'],
    ]);
    expect(s.ssh).toMatchObject({ knownHosts: '/kh', strictHostKeyChecking: 'accept-new', identityFile: '/k/shared', connectTimeoutSeconds: 20 });
    expect(sshLogin(s.hosts[0]!, s.ssh)).toBe('3/deploy@web-1:2200');
  });

  it('retries with GNU Parallel only when branch failures may be retried too, and says why', () => {
    const off = specFromConfig(config({ retry: { max_retries: 2 } }), flows, '/w/gp');
    expect(off.spec.tries).toBe(1);
    expect(off.notes.join(' ')).toMatch(/no --retries.*retry_on_failure/);
    const on = specFromConfig(config({ retry: { max_retries: 2, retry_on_failure: true } }), flows, '/w/gp');
    expect(on.spec.tries).toBe(3);
  });

  it('passes timeout, fail_fast, cleanup and the kill grace through', () => {
    const { spec: s } = specFromConfig(config({ timeout_seconds: 30, fail_fast: true }, { cleanup: false, kill_grace_seconds: 9 }), flows, '/w/gp');
    expect(s).toMatchObject({ timeoutSeconds: 30, failFast: true, cleanup: false, killGraceSeconds: 9 });
  });

  it('refuses key paths GNU Parallel cannot carry, naming the config path', () => {
    expect(() => specFromConfig(config({}, { identity_file: "/k/it's" }), flows, '/w')).toThrow(/settings\.parallel\.remote\.identity_file: .*quote/);
    expect(() => specFromConfig(config({}, { hosts: ['a', 'a'] }), flows, '/w')).toThrow(/hosts\[1\].*listed twice/);
  });
});
