import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IS_PUBLIC_KEY } from './public.decorator';
import { ROUTE_ACCESS, routeAccessOf, routeKeyOf } from './route-access';

const SRC = join(__dirname, '..');

function controllerFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return controllerFiles(p);
    return e.name.endsWith('.controller.ts') ? [p] : [];
  });
}

interface Route {
  key: string;
  where: string;
  isPublic: boolean;
  controller: object;
  handler: object;
}

/** Every route of every *.controller.ts under apps/gateway/src, read from Nest's decorator metadata. */
async function allRoutes(): Promise<Route[]> {
  const routes: Route[] = [];
  for (const file of controllerFiles(SRC)) {
    const mod = (await import(file)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value !== 'function' || Reflect.getMetadata(PATH_METADATA, value) === undefined) continue;
      const proto = (value as { prototype: Record<string, unknown> }).prototype;
      for (const method of Object.getOwnPropertyNames(proto)) {
        const handler = proto[method];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const isPublic = Reflect.getMetadata(IS_PUBLIC_KEY, handler) === true || Reflect.getMetadata(IS_PUBLIC_KEY, value) === true;
        routes.push({ key: routeKeyOf(value, handler), where: `${relative(SRC, file)} ${name}.${method}`, isPublic, controller: value, handler });
      }
    }
  }
  return routes;
}

describe('ROUTE_ACCESS (the role of every route)', () => {
  it('lists every route of every controller that is not @Public(), and nothing else', async () => {
    const routes = await allRoutes();
    expect(routes.length).toBeGreaterThan(40);
    const missing = routes.filter((r) => !r.isPublic && !ROUTE_ACCESS[r.key]).map((r) => `${r.key} (${r.where})`);
    expect(missing, 'routes without a role in route-access.ts').toEqual([]);
    const guarded = new Set(routes.filter((r) => !r.isPublic).map((r) => r.key));
    expect(Object.keys(ROUTE_ACCESS).filter((k) => !guarded.has(k)), 'stale entries').toEqual([]);
    const publicKeys = routes.filter((r) => r.isPublic).map((r) => r.key);
    expect(publicKeys).toEqual(expect.arrayContaining(['GET /health', 'POST /auth/login']));
  });

  it('viewers get only GETs plus play, playback and stream control; every non-GET route operators or viewers get is audited or a stream use', async () => {
    const viewerWrites = Object.entries(ROUTE_ACCESS).filter(([k, a]) => a.roles.includes('viewer') && !k.startsWith('GET ')).map(([k]) => k);
    expect(viewerWrites.sort()).toEqual([
      'POST /devices/:deviceId/channels/:channelId/play',
      'POST /devices/:deviceId/channels/:channelId/playback',
      'POST /streams/:streamId/control',
    ]);
    for (const [k, a] of Object.entries(ROUTE_ACCESS)) {
      expect(a.roles, k).toContain('admin');
      if (!k.startsWith('GET ') && !viewerWrites.includes(k)) expect(a.audit, k).toBeTruthy();
    }
  });

  it('routeAccessOf() of a route missing from the table is admin only', () => {
    class Stray {
      handler(): void {}
    }
    Reflect.defineMetadata(PATH_METADATA, 'stray', Stray);
    Reflect.defineMetadata(PATH_METADATA, '/', Stray.prototype.handler);
    Reflect.defineMetadata(METHOD_METADATA, 0, Stray.prototype.handler);
    expect(routeKeyOf(Stray, Stray.prototype.handler)).toBe('GET /stray');
    expect(routeAccessOf(Stray, Stray.prototype.handler).roles).toEqual(['admin']);
  });
});
