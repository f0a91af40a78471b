import { z } from 'zod';
import { strategySchema } from '../config/parallel';

/**
 * The workflow document as users write it (The Edge Agent's YAML format). Only the
 * shape is checked here; names, references and the graph are checked in graph.ts,
 * where every message still names the path it is about.
 */
const name = z.string().min(1, 'must not be empty');

export const nodeSchema = z.strictObject({
  name,
  /** JavaScript function body; may `await`. A node without `run` passes the state through. */
  run: z.string().optional(),
  /** Marks a fan-in node (informational; the parallel edge's `fan_in` is what counts). */
  fan_in: z.boolean().optional(),
  description: z.string().optional(),
});
export type NodeSpec = z.infer<typeof nodeSchema>;

/** `condition: "<expr>"` or upstream's `condition: { type: expression, value: "<expr>" }`. */
const conditionSchema = z.union([name, z.strictObject({ type: z.literal('expression'), value: name })]);

export const edgeSchema = z.strictObject({
  from: name,
  to: z.union([name, z.array(name).min(1, 'must list at least one node')]),
  type: z.enum(['normal', 'parallel']).optional(),
  /** Same as `type: parallel`. */
  parallel: z.boolean().optional(),
  /** A JavaScript expression over `state` (and `variables`); with an object `condition`, the value it must equal. */
  when: z.union([name, z.boolean()]).optional(),
  condition: conditionSchema.optional(),
  fan_in: name.optional(),
  parallel_strategy: strategySchema.optional(),
  description: z.string().optional(),
});
export type EdgeSpec = z.infer<typeof edgeSchema>;

const mapping = z.record(z.string(), z.unknown());

// Top-level keys other engines use (imports, state_schema, ...) pass through untouched.
export const documentSchema = z.looseObject({
  name: z.string().optional(),
  description: z.string().optional(),
  initial_state: mapping.nullish(),
  variables: mapping.nullish(),
  settings: z.looseObject({ parallel: z.unknown().optional() }).nullish(),
  nodes: z.array(nodeSchema).min(1, 'a workflow needs at least one node'),
  edges: z.array(edgeSchema).nullish(),
});
export type WorkflowDocument = z.infer<typeof documentSchema>;
