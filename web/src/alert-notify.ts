import type { AlertDto } from '@gb/contracts';
import { h } from './dom';
import { t } from './i18n';

/** The operator's opt-ins, remembered in localStorage (per browser, not per tab). */
const SOUND_KEY = 'gbgw.alertSound';
const NOTIFY_KEY = 'gbgw.alertNotify';

const stored = (k: string) => {
  try {
    return localStorage.getItem(k) === '1';
  } catch {
    return false;
  }
};
const store = (k: string, on: boolean) => {
  try {
    localStorage.setItem(k, on ? '1' : '0');
  } catch {
    /* private mode: the choice lasts this page */
  }
};

let audio: AudioContext | null = null;

/** Two short beeps (Web Audio: no sound file to serve). */
function beep(): void {
  audio ??= new AudioContext();
  const ctx = audio;
  void ctx.resume();
  for (const at of [0, 0.25]) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, ctx.currentTime + at);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + at + 0.18);
    osc.connect(gain).connect(ctx.destination);
    osc.start(ctx.currentTime + at);
    osc.stop(ctx.currentTime + at + 0.2);
  }
}

/** A new alert (alert.raised): a beep and a browser notification, each only if the operator opted in. */
export function announceAlert(a: AlertDto, channelName?: string): void {
  if (stored(SOUND_KEY)) {
    try {
      beep();
    } catch {
      /* no audio device */
    }
  }
  if (stored(NOTIFY_KEY) && 'Notification' in window && Notification.permission === 'granted') {
    const n = new Notification(t('notify.title', { level: t(`level.${a.level}`) }), { body: t('notify.body', { channel: channelName ?? a.channelId, roi: a.roi }), tag: a.id });
    n.onclick = () => {
      window.focus();
      location.hash = '#/alerts';
    };
  }
}

/** The two opt-in switches (sound, notifications), for a page toolbar. Enabling notifications asks for permission. */
export function alertOptIns(): HTMLElement {
  const sound = h('input', { type: 'checkbox', checked: stored(SOUND_KEY), 'data-field': 'alert-sound' });
  const notify = h('input', { type: 'checkbox', checked: stored(NOTIFY_KEY), 'data-field': 'alert-notify' });
  sound.addEventListener('change', () => {
    store(SOUND_KEY, sound.checked);
    // The click is the user gesture an AudioContext needs to start; a test beep says what to expect.
    if (sound.checked) beep();
  });
  notify.addEventListener('change', () => {
    if (!notify.checked) return store(NOTIFY_KEY, false);
    if (!('Notification' in window)) {
      notify.checked = false;
      return;
    }
    void Notification.requestPermission().then((p) => {
      notify.checked = p === 'granted';
      store(NOTIFY_KEY, notify.checked);
    });
  });
  return h('span', { class: 'opt-ins' },
    h('label', { title: t('notify.soundTitle') }, sound, ' ', t('notify.sound')),
    h('label', { title: t('notify.notifyTitle') }, notify, ' ', t('notify.notify')),
  );
}
