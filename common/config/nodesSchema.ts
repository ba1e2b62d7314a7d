import { z } from 'zod';
import { doc, int, oneOf, section, str, strings } from './fields';
import { ID_PATTERN, nodeIdsOf, ROLE_NAMES, type RoleName } from './nodeIds';

const DEFAULT_LABEL: Record<RoleName, string> = { primary: 'coordinator', replica: 'read-replica', worker: 'processor' };

const nodeId = (text: string) => str().regex(ID_PATTERN, { error: text });

/** One kind of node. A replica or worker template yields ids `<id>-1` … `<id>-<count>`; the primary's is its id. */
export const nodeTemplateSchema = section({
  id: doc(nodeId('must be lowercase letters, digits and dashes, 1-63 long'), {
    description: "The primary's node id, or the prefix of the ids of a replica or worker template (replica → replica-1, replica-2).",
  }),
  type: doc(oneOf(ROLE_NAMES), { description: 'The role its nodes start in. One template at most is the primary.' }),
  count: doc(int(0, 100).default(1), { description: 'How many nodes this template declares; the primary template declares exactly 1.', unit: 'nodes' }),
  config: section({
    role: doc(str().optional(), { description: 'Free-form label from the seed.', defaultText: 'coordinator, read-replica or processor, by type' }),
    port: doc(int(0, 65535).default(0), { description: 'First gRPC port to try; instances take free ports upward from here. 0 = any free port.' }),
    httpPort: doc(int(0, 65535).optional(), {
      description: 'First HTTP port to try (health, metrics). 0 = any free port.',
      defaultText: 'port + 1000, or 0 when port is 0',
    }),
    hosts: doc(strings().optional(), {
      description: 'The placement hosts its nodes may run on (one name pins them); state nodes spread so that no two share a host when they can avoid it.',
      defaultText: 'any host of the placement',
    }),
    replicateFrom: doc(str().optional(), {
      description:
        "The seed's field: whom replicas follow. Replicas always follow the current primary, so it may only name the primary template, on a replica template (it is accepted so the seed's file parses as written).",
    }),
  }).prefault({}),
})
  .superRefine((n, ctx) => {
    if (n.type === 'primary' && n.count !== 1) ctx.addIssue({ code: 'custom', path: ['count'], message: 'must be 1 for the primary' });
  })
  .transform(({ config, ...n }) => ({
    ...n,
    config: { ...config, role: config.role ?? DEFAULT_LABEL[n.type], httpPort: config.httpPort ?? (config.port === 0 ? 0 : config.port + 1000) },
  }));

export type NodeTemplate = z.output<typeof nodeTemplateSchema>;

/** The seed's three templates: one primary on 8080, replicas from 8081, workers from 8082. */
const DEFAULT_NODES = [
  { id: 'primary', type: 'primary', config: { role: 'coordinator', port: 8080 } },
  { id: 'replica', type: 'replica', count: 2, config: { role: 'read-replica', port: 8081 } },
  { id: 'worker', type: 'worker', count: 2, config: { role: 'processor', port: 8082 } },
] as const;

/** The node templates: one primary at most, node ids unique once counts expand, replicateFrom naming the primary. */
export const nodesSchema = doc(
  z
    .array(nodeTemplateSchema, { error: 'must be a non-empty array' })
    .min(1, { error: 'must be a non-empty array' })
    .superRefine((nodes, ctx) => {
      const primaries = nodes.filter((n) => n.type === 'primary');
      if (primaries.length > 1) ctx.addIssue({ code: 'custom', path: [], message: 'must declare at most one primary template' });
      const ids = new Map<string, number>();
      nodes.forEach((n, i) => {
        // Ids are checked as the nodes will carry them: "replica" with count 2 is replica-1, replica-2.
        for (const id of nodeIdsOf(n)) {
          const first = ids.get(id);
          if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `declares node "${id}", which nodes[${first}] declares already` });
          ids.set(id, i);
        }
        const from = n.config.replicateFrom;
        if (from !== undefined && (n.type !== 'replica' || from !== primaries[0]?.id)) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'config', 'replicateFrom'],
            message: `can only be set on a replica template and name the primary ("${primaries[0]?.id ?? 'none declared'}"): replicas follow whichever node is primary`,
          });
        }
      });
    })
    .prefault(DEFAULT_NODES.map((n) => ({ ...n, config: { ...n.config } }))),
  { description: "The node templates. The default is the seed's: a primary on 8080, 2 replicas from 8081, 2 workers from 8082." },
);
