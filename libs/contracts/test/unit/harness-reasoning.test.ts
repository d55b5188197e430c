import { CreateHarnessBody, PatchHarnessBody } from '../../src/index.js';

const base = { name: 'h', model: 'm' };

describe('harness reasoning', () => {
  it('takes an effort, null, or nothing', () => {
    for (const effort of ['low', 'medium', 'high'] as const) {
      expect(CreateHarnessBody.parse({ ...base, reasoning: { effort } }).reasoning).toEqual({ effort });
    }
    expect(CreateHarnessBody.parse({ ...base, reasoning: null }).reasoning).toBeNull();
    expect(CreateHarnessBody.parse(base).reasoning).toBeUndefined();
  });

  it('refuses another effort, a missing effort or extra keys, naming the field', () => {
    for (const reasoning of [{ effort: 'max' }, { effort: 'HIGH' }, {}, { effort: 'low', budget: 5 }, 'high', true]) {
      const r = CreateHarnessBody.safeParse({ ...base, reasoning });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0].path[0]).toBe('reasoning');
    }
  });

  it('PATCH: omitted leaves it, null clears it, an effort sets it', () => {
    expect('reasoning' in PatchHarnessBody.parse({ name: 'x' })).toBe(false);
    expect(PatchHarnessBody.parse({ reasoning: null }).reasoning).toBeNull();
    expect(PatchHarnessBody.parse({ reasoning: { effort: 'medium' } }).reasoning).toEqual({ effort: 'medium' });
    expect(PatchHarnessBody.safeParse({ reasoning: { effort: 'none' } }).success).toBe(false);
  });
});
