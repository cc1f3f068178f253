/**
 * MANSCDP parse rates: keepalives per second and catalog items per second, with
 * fast-xml-parser (validate + parse, what a strict alternative would cost) as baseline,
 * and the GB18030 decoder choice (TextDecoder vs iconv-lite).
 */
import { performance } from 'node:perf_hooks';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import * as iconv from 'iconv-lite';
import { encodeCatalogResponses, encodeKeepalive, parseManscdp, type CatalogItem } from '../libs/gb28181/src/manscdp';
import type { BenchResult } from './bench-result';

/**
 * Runs `fn` repeatedly for about `ms` milliseconds of wall time; returns calls per
 * second of this process's CPU time, so a busy shared machine skews the figure less.
 */
function rate(fn: () => void, ms: number): number {
  for (let i = 0; i < 50; i++) fn(); // warm up
  let n = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  const c = process.cpuUsage(c0);
  return (n * 1e6) / (c.user + c.system);
}

function catalogBody(items: number): Buffer {
  const list: Partial<CatalogItem>[] = Array.from({ length: items }, (_, i) => ({
    deviceId: `340200000013200${String(i).padStart(5, '0')}`,
    name: `东门路口${i}号`,
    manufacturer: 'Hikvision',
    model: 'DS-2CD3T47EWD-L',
    owner: 'Owner',
    civilCode: '3402000000',
    address: '合肥市蜀山区',
    parental: 0,
    parentId: '34020000001180000001',
    registerWay: '1',
    secrecy: '0',
    status: 'ON',
    longitude: 117.2272,
    latitude: 31.8206,
    ptzType: 3,
  }));
  return encodeCatalogResponses({ sn: 1, deviceId: '34020000001180000001', items: list, perMessage: items })[0]!;
}

export async function run(): Promise<BenchResult[]> {
  const keepalive = encodeKeepalive(43, '34020000001320000001');
  const catalog = catalogBody(100);
  const fxp = new XMLParser({ ignoreAttributes: false, processEntities: false, parseTagValue: false });
  const fxpParse = (b: Buffer): void => {
    const text = new TextDecoder('gb18030').decode(b);
    if (XMLValidator.validate(text) !== true) throw new Error('invalid');
    fxp.parse(text);
  };
  const gbDecoder = new TextDecoder('gb18030');

  const keepaliveRate = rate(() => parseManscdp(keepalive), 1500);
  const keepaliveFxp = rate(() => fxpParse(keepalive), 1500);
  const catalogRate = rate(() => parseManscdp(catalog), 2000) * 100;
  const catalogFxp = rate(() => fxpParse(catalog), 2000) * 100;
  const decodeTd = (rate(() => gbDecoder.decode(catalog), 1000) * catalog.length) / 1e6;
  const decodeIconv = (rate(() => iconv.decode(catalog, 'gb18030'), 1000) * catalog.length) / 1e6;

  return [
    {
      group: 'manscdp',
      name: 'keepalive parse',
      value: Math.round(keepaliveRate),
      unit: 'msg/s',
      baseline: { name: 'fast-xml-parser validate+parse', value: Math.round(keepaliveFxp) },
    },
    {
      group: 'manscdp',
      name: 'catalog parse (100 items/msg, GB2312)',
      value: Math.round(catalogRate),
      unit: 'items/s',
      baseline: { name: 'fast-xml-parser validate+parse', value: Math.round(catalogFxp) },
      note: `${catalog.length} B body`,
    },
    {
      group: 'manscdp',
      name: 'GB18030 decode (TextDecoder)',
      value: Math.round(decodeTd),
      unit: 'MB/s',
      baseline: { name: 'iconv-lite', value: Math.round(decodeIconv) },
    },
  ];
}
