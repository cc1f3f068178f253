import { DEVICE_ID_CHARS } from '@gb/contracts';
import { clearToken, getToken, setUnauthorizedHandler } from './api';
import type { AppContext, Page } from './app-context';
import { EventStream } from './events';
import { mountAlerts, watchAlertCount } from './pages/alerts.page';
import { mountChannels } from './pages/channels.page';
import { mountCongestion } from './pages/congestion.page';
import { mountDevices } from './pages/devices.page';
import { mountLogin } from './pages/login.page';
import { mountStreams } from './pages/streams.page';
import { mountWall } from './pages/wall.page';
import { mountMap } from './pages/map.page';
import { mountAdmin } from './pages/admin.page';
import { mountPlatforms } from './pages/platforms.page';
import { mountProxies } from './pages/proxies.page';
import { mountDeviceAlarms } from './pages/device-alarms.page';
import { toast } from './dom';
import { getLocale, onLocaleChange, t, type MessageKey } from './i18n';
import { languageSwitch } from './language-switch';
import { announceAlert } from './alert-notify';
import { mountChannelTree } from './tree/channel-tree.page';
import { currentUser, forgetMe, loadMe, roleMay, type Capability } from './session-role';

/** Hash routes: #/login, #/devices, #/devices/<id>, #/streams, #/congestion, #/alerts, #/wall, #/map, #/channels, #/platforms, #/proxies, #/admin. */
const ROUTES: { re: RegExp; page: Page; nav: string }[] = [
  { re: new RegExp(`^#/devices/(${DEVICE_ID_CHARS})$`), page: mountChannels, nav: 'devices' },
  { re: /^#\/devices$/, page: mountDevices, nav: 'devices' },
  { re: /^#\/streams$/, page: mountStreams, nav: 'streams' },
  { re: /^#\/congestion$/, page: mountCongestion, nav: 'congestion' },
  { re: /^#\/alerts$/, page: mountAlerts, nav: 'alerts' },
  { re: /^#\/device-alarms$/, page: mountDeviceAlarms, nav: 'device-alarms' },
  { re: /^#\/wall$/, page: mountWall, nav: 'wall' },
  { re: /^#\/map$/, page: mountMap, nav: 'map' },
  { re: /^#\/channels$/, page: mountChannelTree, nav: 'channels' },
  { re: /^#\/platforms$/, page: mountPlatforms, nav: 'platforms' },
  { re: /^#\/proxies$/, page: mountProxies, nav: 'proxies' },
  { re: /^#\/admin$/, page: mountAdmin, nav: 'admin' },
];

const app = document.getElementById('app')!;
const top = document.getElementById('top')!;
const live = document.getElementById('live')!;
const langSlot = document.getElementById('lang-slot')!;
let liveUp = false;

/** The static header (index.html) in the chosen language: `data-i18n` names each element's catalogue key. */
function translateShell(): void {
  document.documentElement.lang = getLocale();
  document.title = t('app.title');
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as MessageKey);
  live.title = liveUp ? t('header.liveUp') : t('header.liveDown');
  langSlot.replaceChildren(languageSwitch());
  showUser();
}

/** The signed-in user and role beside Log out (GET /api/auth/me, asked once per login: session-role.ts). */
const who = document.createElement('span');
who.className = 'who muted';
who.dataset.field = 'user';
document.getElementById('logout')!.before(who);
let meAsked = false;
function showUser(): void {
  const me = currentUser();
  who.textContent = me ? t('header.user', { user: me.username, role: t(`role.${me.role}`) }) : '';
  document.body.dataset.role = me?.role ?? '';
  // Nav links a role may not use (data-cap names the capability, role-policy.ts decides) are hidden.
  for (const a of document.querySelectorAll<HTMLElement>('[data-cap]')) a.hidden = !roleMay(me?.role, a.dataset.cap as Capability);
}

const logout = (why?: string) => {
  clearToken();
  forgetMe();
  meAsked = false;
  showUser();
  events.stop();
  stopAlertCount?.();
  stopAlertCount = null;
  if (why) toast(why, 'error');
  if (location.hash !== '#/login') location.hash = '#/login';
  else render();
};

const events = new EventStream(() => logout(t('session.expired')));
const ctx: AppContext = { events };
let cleanup: (() => void) | null = null;
let stopAlertCount: (() => void) | null = null;

setUnauthorizedHandler(() => logout(t('session.expired')));
events.onState((up) => {
  liveUp = up;
  live.classList.toggle('up', up);
  live.title = up ? t('header.liveUp') : t('header.liveDown');
});
document.getElementById('logout')!.addEventListener('click', () => logout());
// Device alarms (motion, video loss, faults) are announced wherever the operator is.
events.on((e) => {
  if (e.type === 'device.alarm') {
    const what = e.data.description ?? t('alarm.method', { method: String(e.data.method ?? '?') });
    toast(t('alarm.toast', { channel: e.data.channelId, what, priority: String(e.data.priority ?? '?') }), 'error');
  }
});

// A new congestion alert: a beep and a browser notification, each only where the operator opted in (alert-notify.ts).
events.on((e) => {
  if (e.type === 'alert.raised') announceAlert(e.data);
});

function render(): void {
  cleanup?.();
  cleanup = null;
  app.replaceChildren();
  const hash = location.hash || '#/devices';
  if (!getToken()) {
    top.hidden = true;
    cleanup = mountLogin(app, ctx, [], () => {
      location.hash = '#/devices';
    });
    return;
  }
  if (hash === '#/login') {
    location.hash = '#/devices';
    return;
  }
  // Pages hide what the role may not use: they need the role before they draw.
  if (!meAsked) {
    meAsked = true;
    void loadMe()
      .catch(() => null)
      .then(() => {
        showUser();
        render();
      });
    return;
  }
  top.hidden = false;
  events.start();
  stopAlertCount ??= watchAlertCount(ctx, document.getElementById('alert-count')!);
  const route = ROUTES.find((r) => r.re.test(hash));
  if (!route) {
    location.hash = '#/devices';
    return;
  }
  for (const a of document.querySelectorAll<HTMLElement>('[data-nav]')) a.classList.toggle('active', a.dataset.nav === route.nav);
  const params = route.re.exec(hash)!.slice(1);
  cleanup = route.page(app, ctx, params);
}

window.addEventListener('hashchange', render);
// Switching language redraws the header and the current page (its state is refetched, as on navigation).
onLocaleChange(() => {
  translateShell();
  render();
});
translateShell();
render();
