// The migration spec: one TypeBox schema that types the workflow input, validates REST
// bodies and documents /openapi.json. Pure: safe to import from workflow code (types only there).
import { Type, type Static } from 'typebox';

const Duration = Type.String({
  minLength: 1,
  description: 'Temporal duration string, e.g. "7 days", "10m", "0s"',
  examples: ['10m'],
});
const Name = Type.String({ minLength: 1, maxLength: 255 });

/** A string limited to `values`, typed as their union (Type.Union over a mapped array loses it). */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const TRAFFIC_DRIVERS = ['route53', 'alb', 'external-dns', 'service-selector'] as const;
export const BREACH_ACTIONS = ['rollback', 'pause', 'notify'] as const;

export const Route53Record = Type.Object(
  {
    name: Name,
    type: Type.Optional(Type.String({ minLength: 1, description: 'default CNAME' })),
    blueSetIdentifier: Type.Optional(Type.String({ minLength: 1, description: 'default blue' })),
    greenSetIdentifier: Type.Optional(Type.String({ minLength: 1, description: 'default green' })),
  },
  { additionalProperties: false },
);

export const MigrationSpecSchema = Type.Object(
  {
    region: Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d$', description: 'AWS region, e.g. eu-west-1' }),
    blue: Type.Object(
      {
        cluster: Name,
        context: Type.Optional(Type.String({ description: 'kubeconfig context for non-EKS clusters' })),
      },
      { additionalProperties: false },
    ),
    green: Type.Object(
      {
        cluster: Name,
        mode: Type.Optional(Type.Union([Type.Literal('create'), Type.Literal('adopt')], { description: 'default create' })),
        kubernetesVersion: Type.String({ pattern: '^1\\.\\d+$', description: 'target minor version, e.g. 1.34' }),
        context: Type.Optional(Type.String()),
        deleteOnCancel: Type.Optional(
          Type.Boolean({ description: 'on cancel, delete green if this migration created it (default false)' }),
        ),
      },
      { additionalProperties: false },
    ),
    gitops: Type.Optional(
      Type.Object(
        {
          argocd: Type.Optional(
            Type.Object(
              {
                managementContext: Name,
                namespace: Type.Optional(Type.String({ description: 'default argocd' })),
                registerCluster: Type.Optional(Type.Boolean({ description: 'default false' })),
              },
              { additionalProperties: false },
            ),
          ),
          flux: Type.Optional(
            Type.Boolean({ description: "also wait for green's Flux Kustomizations/HelmReleases and suspend blue's during the freeze (default true)" }),
          ),
          syncTimeout: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
    traffic: Type.Object(
      {
        driver: StringEnum(TRAFFIC_DRIVERS),
        route53: Type.Optional(
          Type.Object(
            {
              hostedZoneId: Type.Optional(Type.String({ minLength: 1 })),
              hostedZoneName: Type.Optional(Type.String({ minLength: 1 })),
              records: Type.Array(Route53Record, { minItems: 1 }),
            },
            { additionalProperties: false },
          ),
        ),
        alb: Type.Optional(
          Type.Object(
            {
              listenerArn: Name,
              ruleArn: Type.Optional(Name),
              blueTargetGroupArn: Name,
              greenTargetGroupArn: Name,
            },
            { additionalProperties: false },
          ),
        ),
        steps: Type.Optional(
          Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), {
            minItems: 1,
            description: 'green weight (percent) after each step; ascending, ending at 100 (default 20, 50, 80, 100)',
          }),
        ),
        stepApproval: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('manual')], { description: 'default auto' })),
        observe: Type.Optional(Duration),
      },
      { additionalProperties: false },
    ),
    health: Type.Optional(
      Type.Object(
        {
          smoke: Type.Array(
            Type.Object(
              {
                url: Type.String({ pattern: '^https?://' }),
                host: Type.Optional(Type.String()),
                expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'default 200' })),
                bodyContains: Type.Optional(Type.String()),
                timeout: Type.Optional(Duration),
              },
              { additionalProperties: false },
            ),
          ),
          interval: Type.Optional(Duration),
          failureThreshold: Type.Optional(Type.Integer({ minimum: 1, description: 'consecutive failures (default 3)' })),
          onBreach: Type.Optional(StringEnum(BREACH_ACTIONS, { description: 'default rollback' })),
        },
        { additionalProperties: false },
      ),
    ),
    bake: Type.Optional(Duration),
    freeze: Type.Optional(Duration),
    approvals: Type.Optional(
      Type.Object(
        {
          distinctApprover: Type.Optional(Type.Boolean({ description: 'default false' })),
          reminderInterval: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
    decommission: Type.Optional(
      Type.Object({ deleteBlue: Type.Optional(Type.Boolean({ description: 'default true' })) }, { additionalProperties: false }),
    ),
    notify: Type.Optional(
      Type.Object({ webhookUrl: Type.Optional(Type.String({ pattern: '^https?://' })) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false, title: 'MigrationSpec' },
);

export type MigrationSpec = Static<typeof MigrationSpecSchema>;
export type TrafficDriver = (typeof TRAFFIC_DRIVERS)[number];
export type BreachAction = (typeof BREACH_ACTIONS)[number];
