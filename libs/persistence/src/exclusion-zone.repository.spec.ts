import { describe, expect, it } from 'vitest';
import { specDatabase } from './testing/spec-database';

const spec = specDatabase('gb-exclusions-db-');

describe('ExclusionZoneRepository (migration 1796428800000)', () => {
  it('the hand-written migration and ExclusionZoneEntity agree (no pending change)', async () => {
    const pending = await spec.db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('replace() swaps the zones of one channel only, list() keeps the given order, replace([]) clears them', async () => {
    const [a, b, device] = ['34020000001320000001', '34020000001320000002', '34020000001110000001'];
    await spec.db.exclusions.replace(b, device, [{ zoneId: 'other', polygon: [[0, 0], [1, 0], [1, 1]] }]);
    await spec.db.exclusions.replace(a, device, [
      { zoneId: 'sign', polygon: [[0, 0], [0.2, 0], [0.2, 0.2]] },
      { zoneId: 'car-park', polygon: [[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1]] },
    ]);
    expect((await spec.db.exclusions.list(a)).map((z) => z.zoneId)).toEqual(['sign', 'car-park']);
    await spec.db.exclusions.replace(a, device, [{ zoneId: 'sign', polygon: [[0.1, 0.1], [0.3, 0.1], [0.3, 0.3]] }]);
    expect(await spec.db.exclusions.list(a)).toEqual([{ zoneId: 'sign', polygon: [[0.1, 0.1], [0.3, 0.1], [0.3, 0.3]] }]);
    await spec.db.exclusions.replace(a, device, []);
    expect(await spec.db.exclusions.list(a)).toEqual([]);
    expect(await spec.db.exclusions.list(b)).toEqual([{ zoneId: 'other', polygon: [[0, 0], [1, 0], [1, 1]] }]);
  });
});
