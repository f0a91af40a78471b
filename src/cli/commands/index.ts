import type { Command } from '../command';
import { hostsCommand } from './hosts-check';
import { planCommand } from './plan';
import { runCommand } from './run';

/** Every `tea` command, in the order `tea --help` lists them. */
export const COMMANDS: readonly Command[] = [runCommand, planCommand, hostsCommand];
