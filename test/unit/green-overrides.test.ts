// green.overrides' pure parts: the field lists the 400s name are the schema's own, and an
// entry for one node group wins over "*" field by field.
import { describe, expect, it } from 'vitest';
import { OVERRIDABLE, overrideFieldRefusal, overrideFor } from '../../workflows/green-overrides.js';
import { GreenOverrides } from '../../workflows/spec.js';

describe('green.overrides', () => {
  it('lists exactly the fields its schema takes, section by section', () => {
    const props = (schema: unknown) => Object.keys((schema as { properties: object }).properties);
    const record = (schema: unknown) => Object.values((schema as { patternProperties: object }).patternProperties)[0];
    expect(OVERRIDABLE.cluster).toEqual(props(GreenOverrides.properties.cluster));
    expect(OVERRIDABLE.nodegroups).toEqual(props(record(GreenOverrides.properties.nodegroups)));
    expect(OVERRIDABLE.fargateProfiles).toEqual(props(record(GreenOverrides.properties.fargateProfiles)));
    expect(Object.keys(OVERRIDABLE)).toEqual(props(GreenOverrides));
  });

  it('says why a field cannot be set, and leaves paths outside green.overrides alone', () => {
    expect(overrideFieldRefusal('/green/overrides/cluster/identity')).toBe('green.overrides.cluster.identity cannot be set: EKS assigns it (green gets its own OIDC issuer)');
    expect(overrideFieldRefusal('/green/overrides/nodegroups/*/version')).toBe("green.overrides.nodegroups.*.version cannot be set: green's version is green.kubernetesVersion, and its node groups run it");
    expect(overrideFieldRefusal('/green/overrides/colour')).toBe('unknown section; green.overrides has cluster, nodegroups, fargateProfiles');
    expect(overrideFieldRefusal('/green/colour')).toBeUndefined();
    expect(overrideFieldRefusal('/traffic/route53/x')).toBeUndefined();
  });

  it('merges "*" and a named entry, the named one winning', () => {
    const entries = { '*': { amiType: 'AL2023_x86_64_STANDARD', instanceTypes: ['m6i.large'] }, web: { instanceTypes: ['m7i.large'] } };
    expect(overrideFor(entries, 'web')).toEqual({ amiType: 'AL2023_x86_64_STANDARD', instanceTypes: ['m7i.large'] });
    expect(overrideFor(entries, 'batch')).toEqual(entries['*']);
    expect(overrideFor(undefined, 'web')).toEqual({});
  });
});
