import type { ChannelDto } from '@gb/contracts';
import { ApiError, api } from './api';
import { h } from './dom';
import { t } from './i18n';
import { Downsampler, VOICE_FRAME_SAMPLES, VOICE_RATE } from './voice-pcm';

/** How far ahead the device's audio may be scheduled before the rest is dropped (a stalled tab does not queue minutes). */
const MAX_PLAY_AHEAD_S = 0.5;

interface VoiceStart {
  session: { id: string; payload?: string; law?: string };
  wsUrl: string;
}

/**
 * One voice session from the page (docs/decisions/voice.md): POST /api/voice, the microphone (getUserMedia) through a
 * ScriptProcessor downsampled to 8 kHz s16le and sent in 20 ms frames on the session's WebSocket; the device's audio
 * (talk) played through the same AudioContext, with an analyser on it (`level()`, what the meter shows).
 */
export class VoiceCall {
  private ws?: WebSocket;
  private ctx?: AudioContext;
  private stream?: MediaStream;
  private analyser?: AnalyserNode;
  private playAt = 0;
  private ended = false;
  sessionId?: string;
  onEnded?: (reason: string) => void;

  constructor(
    readonly channel: ChannelDto,
    readonly mode: 'talk' | 'broadcast',
  ) {}

  async start(): Promise<void> {
    // the microphone first: a refusal costs the device nothing
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
    const started = await api<VoiceStart>('POST', '/api/voice', { deviceId: this.channel.deviceId, channelId: this.channel.channelId, mode: this.mode });
    this.sessionId = started.session.id;
    const ctx = new AudioContext();
    this.ctx = ctx;
    await ctx.resume();
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 1024;
    this.analyser.connect(ctx.destination);
    const url = new URL(started.wsUrl, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        const m = JSON.parse(ev.data) as { type: string; reason?: string };
        if (m.type === 'ended') this.finish(m.reason ?? '');
        return;
      }
      this.play(new Int16Array(ev.data as ArrayBuffer));
    };
    ws.onclose = (ev) => this.finish(ev.reason || t('voice.ended'));
    await new Promise<void>((ok, ko) => {
      ws.addEventListener('open', () => ok(), { once: true });
      ws.addEventListener('error', () => ko(new Error(t('voice.socketFailed'))), { once: true });
    });
    const src = ctx.createMediaStreamSource(this.stream);
    const proc = ctx.createScriptProcessor(2048, 1, 1);
    const down = new Downsampler(ctx.sampleRate);
    let pending = new Int16Array(0);
    proc.onaudioprocess = (ev) => {
      const pcm = down.push(ev.inputBuffer.getChannelData(0));
      const all = new Int16Array(pending.length + pcm.length);
      all.set(pending);
      all.set(pcm, pending.length);
      let off = 0;
      for (; off + VOICE_FRAME_SAMPLES <= all.length; off += VOICE_FRAME_SAMPLES) {
        if (ws.readyState === WebSocket.OPEN) ws.send(all.slice(off, off + VOICE_FRAME_SAMPLES).buffer);
      }
      pending = all.slice(off);
    };
    const mute = ctx.createGain();
    mute.gain.value = 0;
    src.connect(proc);
    proc.connect(mute);
    mute.connect(ctx.destination);
  }

  private play(pcm: Int16Array): void {
    const ctx = this.ctx;
    if (!ctx || !this.analyser || !pcm.length) return;
    const now = ctx.currentTime;
    if (this.playAt < now) this.playAt = now + 0.05;
    if (this.playAt - now > MAX_PLAY_AHEAD_S) return;
    const buf = ctx.createBuffer(1, pcm.length, VOICE_RATE);
    const ch = buf.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) ch[i] = pcm[i]! / 32768;
    const node = ctx.createBufferSource();
    node.buffer = buf;
    node.connect(this.analyser);
    node.start(this.playAt);
    this.playAt += buf.duration;
  }

  /** RMS of what is playing now (0..1), from the analyser on the device's audio. */
  level(): number {
    if (!this.analyser) return 0;
    const d = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(d);
    let s = 0;
    for (const v of d) s += v * v;
    return Math.sqrt(s / d.length);
  }

  private finish(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    this.onEnded?.(reason);
  }

  private release(): void {
    this.stream?.getTracks().forEach((tr) => tr.stop());
    void this.ctx?.close().catch(() => undefined);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, 'stopped');
  }

  /** Ends the session (the gateway sends BYE when the socket closes). */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
  }
}

/** The plain sentence for why a voice session could not start. */
export function voiceErrorMessage(e: unknown): string {
  const name = (e as { name?: string }).name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return t('voice.noMic');
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return t('voice.noMicDevice');
  if (e instanceof ApiError) {
    if (e.code === 'VOICE_BUSY') return t('voice.busy');
    if (e.code === 'DEVICE_REFUSED' || e.code === 'DEVICE_TIMEOUT' || e.code === 'DEVICE_BAD_SDP') return t('voice.refused', { message: e.message });
    return e.message;
  }
  return (e as Error).message ?? String(e);
}

/**
 * Talk and Broadcast buttons for a channel's card, with the state (connecting, live with the level of the device's
 * audio, ended with why) and plain errors. `data-voice-state` and `data-voice-level` carry them for tests.
 */
export function voiceControls(c: ChannelDto): { el: HTMLElement; close: () => void } {
  let call: VoiceCall | null = null;
  let meter: number | undefined;
  const status = h('span', { class: 'muted', 'data-field': 'voice-status' }, '');
  const el = h('div', { class: 'toolbar', 'data-field': 'voice', 'data-voice-state': 'idle' }, h('span', { class: 'muted' }, t('voice.label')));
  const setState = (state: string, text: string, error = false) => {
    el.dataset['voiceState'] = state;
    status.textContent = text;
    status.classList.toggle('error', error);
    talk.disabled = broadcast.disabled = state === 'connecting' || state === 'live';
    stop.disabled = state !== 'live' && state !== 'connecting';
  };
  const end = () => {
    clearInterval(meter);
    call?.stop();
    call = null;
  };
  const begin = (mode: 'talk' | 'broadcast') => {
    end();
    const cur = new VoiceCall(c, mode);
    call = cur;
    setState('connecting', t('voice.connecting'));
    cur.onEnded = (reason) => {
      if (call !== cur) return;
      clearInterval(meter);
      call = null;
      setState('ended', t('voice.endedBecause', { reason }));
    };
    cur.start().then(
      () => {
        if (call !== cur) return;
        setState('live', mode === 'talk' ? t('voice.talking') : t('voice.broadcasting'));
        meter = window.setInterval(() => (el.dataset['voiceLevel'] = cur.level().toFixed(4)), 100);
      },
      (e: unknown) => {
        if (call !== cur) return;
        cur.stop();
        call = null;
        setState('error', voiceErrorMessage(e), true);
      },
    );
  };
  const talk = h('button', { 'data-voice': 'talk', onclick: () => begin('talk') }, t('voice.talk'));
  const broadcast = h('button', { 'data-voice': 'broadcast', onclick: () => begin('broadcast') }, t('voice.broadcast'));
  const stop = h('button', { 'data-voice': 'stop', disabled: true, onclick: () => { end(); setState('idle', t('voice.stopped')); } }, t('voice.stop'));
  el.append(talk, broadcast, stop, status);
  return { el, close: end };
}
