import type { Work } from '../lib/args';
import type { BenchCluster, BenchHost } from '../lib/cluster';

/** Paths every transport needs. */
export interface BenchEnv {
  root: string;
  /** bench/dist: the compiled bench scripts (floor.js, rss-probe.js, sftp-choice.js). */
  dist: string;
  /** dist/tea: the client CLI and the real basefile. */
  tea: string;
  /** bench/stub-tea.sh: the dispatch-only basefile. */
  stub: string;
  cluster: BenchCluster;
}

/** One measured fan-out: `branches` scoped runs spread over `hosts`, `slots` at a time per host. */
export interface FanoutJob {
  hosts: BenchHost[];
  slots: number;
  branches: number;
  work: Work;
  /** Fresh local directory for this run's files. */
  scratch: string;
  /** Fresh absolute directory on the hosts (they share one filesystem on loopback). */
  remoteDir: string;
  timeoutMs: number;
}

export interface FanoutOutcome {
  wallMs: number;
  ok: number;
  lost: number;
  retries?: number;
  /** Peak RSS of the client process, bytes (Node clients only). */
  peakRss?: number;
  /** Per-branch time on the host side of the client: dispatch + remote run + read-back, ms. */
  latencyMs?: number[];
  error?: string;
}

export type FanoutRunner = (job: FanoutJob, env: BenchEnv) => Promise<FanoutOutcome>;

export const basefileOf = (job: FanoutJob, env: BenchEnv): string => (job.work === 'tea' ? env.tea : env.stub);
