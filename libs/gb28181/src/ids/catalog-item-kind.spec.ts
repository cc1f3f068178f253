import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG_ITEM_KINDS, catalogItemKind, isCatalogItemKind, isDirectoryKind } from './catalog-item-kind';

describe('catalogItemKind() (GB/T 28181-2016 Annex D type codes)', () => {
  const table: Array<[string, number | null, string]> = [
    ['34', null, 'region'],
    ['3402', 1, 'region'],
    ['340200', 1, 'region'],
    ['34020001', 0, 'region'],
    ['34020000002000000001', 1, 'platform'],
    ['34020000002150000001', 1, 'business-group'],
    ['34020000002160000001', 1, 'virtual-organisation'],
    ['34020000001180000001', 1, 'device'],
    ['34020000001110000001', 1, 'device'],
    ['34020000001180000001', 0, 'channel'],
    ['34020000001180000001', null, 'channel'],
    ['34020000001310000001', 0, 'channel'],
    ['34020000001320000001', 1, 'channel'],
    ['34020000001340000001', 0, 'channel'],
    ['34020000002020000001', 0, 'channel'],
    ['CAM01', 1, 'channel'],
    ['340', null, 'channel'],
    ['3402000000', 1, 'channel'],
  ];
  it.each(table)('%s with Parental %s is %s', (id, parental, kind) => {
    expect(catalogItemKind(id, parental)).toBe(kind);
  });

  it('isDirectoryKind() is true for every kind but channel; isCatalogItemKind() accepts exactly the listed kinds', () => {
    expect(CATALOG_ITEM_KINDS.filter(isDirectoryKind)).toEqual(['region', 'platform', 'business-group', 'virtual-organisation', 'device']);
    expect([...CATALOG_ITEM_KINDS, 'Channel', '', null, 3].map(isCatalogItemKind)).toEqual([true, true, true, true, true, true, false, false, false, false]);
  });

  it('any string and any Parental give one of the kinds without throwing', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.option(fc.integer()), (id, parental) => {
      expect(CATALOG_ITEM_KINDS).toContain(catalogItemKind(id, parental));
    }));
  });
});
