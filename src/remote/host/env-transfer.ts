import { TeaError, errorMessage } from '../../errors';
import type { Logger } from '../../log';
import type { HostConnection } from '../ssh/connection';
import { envProbeCommand, exportFileText, parseEnvProbe, type EnvSelection } from '../command/env-vars';
import { FILE_MODE } from './staging';
import type { FileTransfer } from '../transfer/file-transfer';

/** What one flow attempt's exec needs: SSH env requests, or the export file the wrapper sources. */
export interface FlowEnv {
  execEnv?: Readonly<Record<string, string>>;
  envFile?: string;
  /** Removes the export file if the wrapper did not (it never ran, or failed first). Best effort. */
  discard(transfer: FileTransfer, signal: AbortSignal): Promise<void>;
}

const NOTHING: FlowEnv = { discard: async () => {} };

/** The export file's name in a flow's directory (0600, in a 0700 directory, deleted before tea starts). */
export const ENV_FILE_NAME = 'tea-env';

/**
 * Moves the selected variables to the hosts without ever putting a value on a command
 * line, in a log or in an error: `ssh_env` sends them as SSH env requests (checked once
 * per host against what sshd really accepted), `export_file` writes them as a file (over SFTP or an exec channel's stdin).
 */
export class EnvTransfer {
  constructor(
    private readonly selection: EnvSelection,
    private readonly logger: Logger,
  ) {
    const names = Object.keys(selection.values);
    if (selection.missing.length > 0) logger.warn(`env_vars.include: not set in this environment, not transferred: ${selection.missing.join(', ')}`);
    if (names.length > 0) logger.info(`remote: transferring ${names.length} environment variable(s) by ${selection.mode}: ${names.join(', ')}`);
  }

  get active(): boolean {
    return Object.keys(this.selection.values).length > 0;
  }

  /**
   * @param checked resolves once the host's AcceptEnv was probed (ssh_env): the host
   *   session runs `probe` once per host, under its own budget.
   */
  async forFlow(
    connection: HostConnection,
    transfer: FileTransfer,
    dir: string,
    checked: (signal: AbortSignal) => Promise<void>,
    signal: AbortSignal,
    where: string,
  ): Promise<FlowEnv> {
    if (!this.active) return NOTHING;
    if (this.selection.mode === 'ssh_env') {
      await checked(signal);
      return { execEnv: this.selection.values, discard: async () => {} };
    }
    const envFile = `${dir}/${ENV_FILE_NAME}`;
    try {
      // Over SFTP, or on an exec channel's stdin: never on a command line.
      await transfer.writeFile(envFile, exportFileText(this.selection.values), FILE_MODE, signal);
    } catch (error) {
      if (error instanceof TeaError || signal.aborted) throw error;
      // The SFTP message names the path, never the content.
      throw new TeaError('E_STAGING_FAILED', `${where}: cannot write its environment file ${envFile}: ${errorMessage(error)}`, { host: connection.spec.id, cause: error });
    }
    return {
      envFile,
      discard: (t, s) => t.remove([envFile], s).catch(() => {}),
    };
  }

  /** Which names sshd's AcceptEnv dropped (it does so silently): warned about. Run once per host by its session. */
  async probe(connection: HostConnection, signal: AbortSignal): Promise<void> {
    if (!this.active || this.selection.mode !== 'ssh_env') return;
    const host = connection.spec.id;
    const names = Object.keys(this.selection.values);
    // Placeholder values: acceptance depends on the name only, and the real values stay off this extra channel.
    const placeholders = Object.fromEntries(names.map((n) => [n, '1']));
    const result = await connection.exec(envProbeCommand(names), signal, { env: placeholders });
    const dropped = parseEnvProbe(result.stderrTail);
    if (dropped.length > 0) {
      this.logger.warn(
        `${host}: sshd did not accept the environment variable(s) ${dropped.join(', ')} (env_vars.mode ssh_env): ` +
          `list them in AcceptEnv in the host's sshd_config, or use env_vars.mode export_file`,
      );
    }
  }
}
