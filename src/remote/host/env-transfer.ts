import type { Logger } from '../../log';
import type { HostConnection } from '../ssh/connection';
import { envProbeRequest, parseEnvProbe, type EnvSelection } from '../command/env-vars';

/** What one flow attempt's exec carries: SSH env requests, or exports in the program line on stdin. */
export interface FlowEnv {
  execEnv?: Readonly<Record<string, string>>;
  exports?: Readonly<Record<string, string>>;
}

const NOTHING: FlowEnv = {};

/**
 * Moves the selected variables to the hosts without ever putting a value on a command
 * line, on the host's disk, in a log or in an error: `stdin` (and its former name
 * `export_file`) sends them in the program line the wrapper reads from the exec channel's
 * stdin; `ssh_env` sends them as SSH env requests (checked once per host against what sshd
 * really accepted).
 */
export class EnvTransfer {
  constructor(
    private readonly selection: EnvSelection,
    private readonly logger: Logger,
  ) {
    const names = Object.keys(selection.values);
    if (selection.missing.length > 0) logger.warn(`env_vars.include: not set in this environment, not transferred: ${selection.missing.join(', ')}`);
    if (names.length > 0) logger.info(`remote: transferring ${names.length} environment variable(s) by ${selection.mode === 'ssh_env' ? 'ssh_env' : 'stdin'}: ${names.join(', ')}`);
  }

  get active(): boolean {
    return Object.keys(this.selection.values).length > 0;
  }

  /**
   * @param checked resolves once the host's AcceptEnv was probed (ssh_env): the host
   *   session runs `probe` once per host, under its own budget.
   */
  async forFlow(checked: (signal: AbortSignal) => Promise<void>, signal: AbortSignal): Promise<FlowEnv> {
    if (!this.active) return NOTHING;
    if (this.selection.mode === 'ssh_env') {
      await checked(signal);
      return { execEnv: this.selection.values };
    }
    return { exports: this.selection.values };
  }

  /** Which names sshd's AcceptEnv dropped (it does so silently): warned about. Run once per host by its session. */
  async probe(connection: HostConnection, signal: AbortSignal): Promise<void> {
    if (!this.active || this.selection.mode !== 'ssh_env') return;
    const host = connection.spec.id;
    const names = Object.keys(this.selection.values);
    // Placeholder values: acceptance depends on the name only, and the real values stay off this extra channel.
    const placeholders = Object.fromEntries(names.map((n) => [n, '1']));
    const request = envProbeRequest(names);
    const result = await connection.exec(request.command, signal, { env: placeholders, stdin: request.stdin });
    const dropped = parseEnvProbe(result.stderrTail);
    if (dropped.length > 0) {
      this.logger.warn(
        `${host}: sshd did not accept the environment variable(s) ${dropped.join(', ')} (env_vars.mode ssh_env): ` +
          `list them in AcceptEnv in the host's sshd_config, or use env_vars.mode stdin`,
      );
    }
  }
}
