import { execFileSync } from 'node:child_process';
import { parseParallelConfig } from '../../../../src/config/parallel';
import { envProbeRequest, parseEnvProbe, selectEnv } from '../../../../src/remote/command/env-vars';

const envVars = (raw: Record<string, unknown>) => parseParallelConfig({ strategy: 'remote', remote: { hosts: ['h'], env_vars: raw } }).remote!.env_vars;

describe('env_vars selection', () => {
  const env = { TEA_TOKEN: 's3cret', TEA_REGION: 'eu', API_KEY: 'k', EMPTY: '' };

  it('takes only the listed names, then removes those an exclude glob matches', () => {
    const selected = selectEnv(envVars({ include: ['TEA_TOKEN', 'TEA_REGION', 'API_KEY', 'EMPTY', 'NOT_SET'], exclude_patterns: ['*_KEY', 'TEA_T?KEN'] }), env);
    expect(selected).toEqual({ mode: 'stdin', values: { TEA_REGION: 'eu', EMPTY: '' }, missing: ['NOT_SET'], excluded: ['TEA_TOKEN', 'API_KEY'] });
  });

  it('transfers nothing in mode none, and nothing that is not listed', () => {
    expect(selectEnv(envVars({ include: ['TEA_TOKEN'], mode: 'none' }), env).values).toEqual({});
    expect(selectEnv(envVars({}), env).values).toEqual({});
  });

  it.each([
    [{ include: ['BAD NAME'] }, /env_vars\.include\[0\]: must be an environment variable name/],
    [{ include: ['TEA_REMOTE_BRANCH'] }, /env_vars\.include\[0\]: is set by tea itself/],
    [{ include: ['A'], mode: 'ssh' }, /env_vars\.mode/],
    [{ include: 'A' }, /env_vars\.include/],
  ])('rejects %j naming the path', (raw, message) => {
    expect(() => envVars(raw)).toThrow(message);
  });
});

describe('the AcceptEnv probe', () => {
  it('reports the names missing from its environment, run through a real shell', () => {
    const request = envProbeRequest(['TEA_A', 'TEA_B', 'OTHER']);
    const out = execFileSync('sh', ['-c', `${request.command} 2>&1`], { input: request.stdin, env: { TEA_A: '1', PATH: process.env.PATH } });
    expect(parseEnvProbe(out.toString('utf8'))).toEqual(['TEA_B', 'OTHER']);
  });

  it('ignores other stderr lines (rc files print too)', () => {
    expect(parseEnvProbe('welcome\ntea-env-missing X\nnoise tea-env-missing Y\n')).toEqual(['X']);
  });
});
