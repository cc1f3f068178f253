import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SipService } from '../../apps/gateway/src/sip/sip.service';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { e2eGatewayEnv, SIP_PASSWORD } from './e2e-fixture';

/**
 * Issue #16 item 2 against the whole gateway: 10,000 TCP connections from one address (127.0.0.1), held open and
 * silent, then a simulated device registers over TCP (digest) from another address (127.0.0.2). Loopback: Linux
 * routes all of 127.0.0.0/8 to lo. fd limit where this was written: `ulimit -n` = 20000; the flood holds at most
 * ~600 client sockets at once (batches of 500 plus the 100 admitted).
 */
describe('SIP over TCP during a flood of idle connections from one address', () => {
  let gw: TestGateway;
  const held: net.Socket[] = [];
  beforeAll(async () => {
    // Time bounds out of the way (60 s): only the per-address cap may keep the device's way open.
    gw = await startTestGateway(e2eGatewayEnv({ SIP_TCP_FIRST_MESSAGE_TIMEOUT_MS: '60000', SIP_TCP_MAX_CONNECTIONS_PER_HOST: '100' }));
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await gw?.stop();
  });

  const connect = () =>
    new Promise<void>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: gw.sipPort, localAddress: '127.0.0.1' });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.on('connect', () => {
        held.push(s);
        resolve();
      });
    });

  it('10,000 connections from 127.0.0.1 stop at 100; a TCP device from 127.0.0.2 registers with digest', async () => {
    for (let batch = 0; batch < 20; batch++) await Promise.all(Array.from({ length: 500 }, connect));
    const transport = gw.app.get(SipService).transport;
    await new Promise((r) => setTimeout(r, 200));
    expect(transport.openTcpConnections).toBe(100);
    expect(transport.stats.tcpRefused).toBe(9_900);

    const started = Date.now();
    const device = await startSimDevice(gw, { deviceId: '34020000001320000077', password: SIP_PASSWORD, channels: 1, extra: { transport: 'tcp', localHost: '127.0.0.2' } });
    try {
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await device.stop();
    }
  }, 120_000);
});
