import { z } from 'zod';
import { strategySchema } from '../config/parallel';

/**
 * The workflow document as users write it (The Edge Agent's YAML format). Only the
 * shape is checked here; names, references and the graph are checked in graph.ts,
 * where every message still names the path it is about.
 */
/** zod's default "Invalid input: expected string, received undefined" says less than this. */
const expected = (what: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? `required: ${what}` : `expected ${what}, got ${kind(issue.input)}`),
});
const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`);

// NUL cannot be passed in an argv (process and remote branches get node names as arguments).
const name = z.string(expected('a node name')).min(1, 'must not be empty').refine((n) => !n.includes('\0'), 'must not contain a NUL character');

/** Interrupt points (The Edge Agent's human-in-the-loop pauses): node names, or "*" for every node. */
const nodeList = z.array(name, expected('a list of node names'));

export const nodeSchema = z.strictObject({
  name,
  /** JavaScript function body; may `await`. A node without `run` passes the state through. */
  run: z.string(expected('a JavaScript function body (text)')).optional(),
  /** Marks a fan-in node (informational; the parallel edge's `fan_in` is what counts). */
  fan_in: z.boolean().optional(),
  description: z.string().optional(),
  /** Pause before (true or "before") or after ("after") this node: see interrupts.ts. */
  interrupt: z.union([z.enum(['before', 'after']), z.boolean()], expected('true, false, "before" or "after"')).optional(),
});
export type NodeSpec = z.infer<typeof nodeSchema>;

/** `condition: "<expr>"` or upstream's `condition: { type: expression, value: "<expr>" }`. */
const conditionSchema = z.union(
  [z.string().min(1), z.strictObject({ type: z.literal('expression'), value: z.string().min(1) })],
  expected('a JavaScript expression, or { type: expression, value: <expression> }'),
);

export const edgeSchema = z.strictObject({
  from: name,
  to: z.union([name, z.array(name).min(1, 'must list at least one node')], expected('a node name or a list of node names')),
  type: z.enum(['normal', 'parallel']).optional(),
  /** Same as `type: parallel`. */
  parallel: z.boolean().optional(),
  /** A JavaScript expression over `state` (and `variables`); with an object `condition`, the value it must equal. */
  when: z.union([z.string().min(1), z.boolean()], expected('a JavaScript expression (or true/false with a condition object)')).optional(),
  condition: conditionSchema.optional(),
  fan_in: name.optional(),
  parallel_strategy: strategySchema.optional(),
  description: z.string().optional(),
});
export type EdgeSpec = z.infer<typeof edgeSchema>;

const mapping = z.record(z.string(), z.unknown(), expected('a mapping'));

// Top-level keys other engines use (imports, state_schema, ...) pass through untouched.
export const documentSchema = z.looseObject({
  name: z.string().optional(),
  description: z.string().optional(),
  initial_state: mapping.nullish(),
  variables: mapping.nullish(),
  settings: z.looseObject({ parallel: z.unknown().optional() }, expected('a mapping')).nullish(),
  nodes: z.array(nodeSchema, expected('a list of nodes')).min(1, 'a workflow needs at least one node'),
  edges: z.array(edgeSchema, expected('a list of edges')).nullish(),
  interrupt_before: nodeList.nullish(),
  interrupt_after: nodeList.nullish(),
  /** Upstream keeps interrupt points under `config:`; its other keys pass through. */
  config: z.looseObject({ interrupt_before: nodeList.nullish(), interrupt_after: nodeList.nullish() }, expected('a mapping')).nullish(),
});
export type WorkflowDocument = z.infer<typeof documentSchema>;
