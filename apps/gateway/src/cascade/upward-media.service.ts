import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  Dialog, GB_OFFER_UNSUPPORTED, MANSRTSP_CONTENT_TYPE, getTag, isGb28181Error, newTag, parseSipUri, parseVia, readGbOffer, type GbOffer, type SipRequest,
} from '@gb/gb28181';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { SipService } from '../sip/sip.service';
import type { IncomingRequest } from '../sip/sip-endpoint';
import { StreamsService } from '../streams/streams.service';
import { CascadeService, type SuperiorPeer } from './cascade.service';
import { SharedChannelsService } from './shared-channels.service';
import { UpwardSession, sipStatusOfUpwardFailure, type UpwardSessionDto } from './upward-session';

/** Most upward sessions (legs to superiors) this node sends at once; past it an INVITE gets 486 Busy Here. */
export const MAX_UPWARD_SESSIONS = 64;
/** Ended upward sessions stay listed (with why they ended) this long. */
export const ENDED_UPWARD_LINGER_MS = 60_000;
/** Most ended sessions kept listed. */
export const MAX_ENDED_UPWARD_LISTED = 100;
/** Largest MANSRTSP body relayed to the camera (a few short lines in practice, GB/T 28181-2016 Annex B). */
export const MAX_UPWARD_MANSRTSP_BYTES = 1024;
/** Longest text in a Warning header we send (RFC 3261 §20.43). */
export const MAX_WARNING_CHARS = 200;
/** How long shutdown waits for the BYEs to the superiors to be answered. */
export const UPWARD_SHUTDOWN_BYE_WAIT_MS = 2_000;
/** How often sessions of a superior we no longer run (deleted, disabled, edited) are ended. */
const SWEEP_MS = 1_000;

/** The pending INVITE of a session not yet answered: CANCEL ends it with 487 (RFC 3261 §9.2). */
interface Pending {
  branch: string;
  respond: IncomingRequest['respond'];
  answered: boolean;
}

interface Entry {
  session: UpwardSession;
  peer: SuperiorPeer;
  /** The superior's From tag (the dialog's remote tag) and ours (its local tag, the To tag of our 200). */
  remoteTag: string;
  localTag: string;
  pending: Pending;
}

/** `Warning: 399 <agent> "<text>"` with the text made safe for a quoted-string on one line. */
function warning(text: string): [string, string] {
  const safe = text.replace(/[^\x20-\x7e]|["\\]/g, ' ').slice(0, MAX_WARNING_CHARS);
  return ['Warning', `399 gb-gateway "${safe}"`];
}

/**
 * Media to the superior platform (issue 11 item 4, docs/cascade.md): its INVITE for a shared channel (s=Play,
 * Playback, Download) starts or joins our stream from the camera and sends PS over RTP to the address in its offer,
 * as a device would (GB/T 28181-2016 §9.2). Claims from the SIP endpoint, before the device handlers:
 * - INVITE from a superior we are registered with (CascadeService.superiorOf); others go on (405 from the endpoint).
 *   100 Trying comes from the INVITE server transaction, which also retransmits our 2xx until the ACK.
 * - CANCEL of such an INVITE before our 200 (200 to the CANCEL, 487 to the INVITE, everything released).
 * - BYE and INFO in an upward dialog (Call-ID + tags); other BYEs go on to the streams service (camera dialogs).
 * The camera's BYE or a stream failure, a media failure (TCP refused or closed), the superior's platform going away,
 * and shutdown send BYE upward, along the flow of our registration with it.
 */
@Injectable()
export class UpwardMediaService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('cascade');
  /** Open sessions by Call-ID + the superior's From tag. */
  private readonly entries = new Map<string, Entry>();
  /** Ended sessions, newest last (GET shows them with their close reason for a while). */
  private readonly ended: UpwardSession[] = [];
  private sweeper?: NodeJS.Timeout;
  private closing = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(SipService) private readonly sip: SipService,
    @Inject(CascadeService) private readonly cascade: CascadeService,
    @Inject(StreamsService) private readonly streams: StreamsService,
    @Inject(SharedChannelsService) private readonly shared: SharedChannelsService,
  ) {}

  onModuleInit(): void {
    this.sip.intercept('INVITE', (r) => this.onInvite(r));
    this.sip.intercept('CANCEL', (r) => this.onCancel(r));
    this.sip.intercept('BYE', (r) => this.onBye(r));
    this.sip.intercept('INFO', (r) => this.onInfo(r));
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Upward sessions of a platform (open ones, then recently ended ones). */
  list(platformId?: string): UpwardSessionDto[] {
    return [...[...this.entries.values()].map((e) => e.session), ...this.ended].filter((s) => platformId === undefined || s.platformId === platformId).map((s) => s.toDto());
  }

  private keyOf(callId: string, remoteTag: string): string {
    return `${callId}\n${remoteTag}`;
  }

  /** The entry of an in-dialog request (BYE, INFO, re-INVITE): Call-ID, From tag = the superior's, To tag = ours. */
  private entryOfDialog(req: SipRequest): Entry | undefined {
    try {
      const e = this.entries.get(this.keyOf(req.headers.get('call-id') ?? '', getTag(req.headers.get('from') ?? '') ?? ''));
      return e && getTag(req.headers.get('to') ?? '') === e.localTag ? e : undefined;
    } catch {
      return undefined;
    }
  }

  private onInvite(r: IncomingRequest): boolean {
    if (this.entryOfDialog(r.req)) {
      this.onReInvite(r);
      return true;
    }
    const peer = this.cascade.superiorOf(r.req, r.flow, { toChannel: true });
    if (!peer) return false;
    void this.accept(r, peer).catch((e: Error) => {
      this.log.error(`upward INVITE ${r.req.headers.get('call-id')}: ${e.stack ?? e.message}`);
      try {
        r.respond(500, 'Server Internal Error');
      } catch {
        /* already answered */
      }
    });
    return true;
  }

  /** A re-INVITE in an upward dialog (a session refresh): the same answer again; nothing changes. */
  private onReInvite(r: IncomingRequest): void {
    const e = this.entryOfDialog(r.req)!;
    const sdp = e.session.answerSdp;
    if (!sdp || !e.session.isOpen) return r.respond(481, 'Call/Transaction Does Not Exist');
    r.respond(200, 'OK', { headers: [['Contact', this.contact(e.peer)]], body: Buffer.from(sdp), contentType: 'application/sdp' });
  }

  private refuse(r: IncomingRequest, status: number, text: string, reason?: string): void {
    this.log.log(`upward INVITE ${r.req.headers.get('call-id')} from ${r.flow.remoteHost}:${r.flow.remotePort} refused ${status}: ${text}`);
    r.respond(status, reason, { headers: [warning(text)] });
  }

  private async accept(r: IncomingRequest, peer: SuperiorPeer): Promise<void> {
    const { req } = r;
    const callId = req.headers.get('call-id') ?? '';
    let remoteTag: string | undefined;
    let branch: string;
    try {
      remoteTag = getTag(req.headers.get('from') ?? '');
      branch = parseVia(req.headers.getAll('via')[0] ?? '').params['branch'] ?? '';
    } catch {
      return this.refuse(r, 400, 'unreadable From or Via');
    }
    if (!callId || !remoteTag) return this.refuse(r, 400, 'an INVITE needs a Call-ID and a From tag');
    const key = this.keyOf(callId, remoteTag);
    if (this.entries.has(key)) return this.refuse(r, 482, 'this Call-ID and From tag already have an upward session', 'Loop Detected');
    if (this.closing) return this.refuse(r, 503, 'the gateway is shutting down');
    if (this.entries.size >= MAX_UPWARD_SESSIONS) return this.refuse(r, 486, `${MAX_UPWARD_SESSIONS} upward sessions are running (MAX_UPWARD_SESSIONS)`);

    const type = req.headers.get('content-type') ?? '';
    if (!/^application\/sdp\s*(;|$)/i.test(type.trim())) {
      return r.respond(415, 'Unsupported Media Type', { headers: [['Accept', 'application/sdp'], warning(`an INVITE needs an SDP offer (Content-Type ${type.slice(0, 40) || 'none'})`)] });
    }
    let offer: GbOffer;
    try {
      offer = readGbOffer(req.body.toString('utf8'));
    } catch (e) {
      if (!isGb28181Error(e)) throw e;
      return this.refuse(r, e.code === GB_OFFER_UNSUPPORTED ? 488 : 400, `${e.code}: ${e.message}`);
    }
    let channelId: string | undefined;
    try {
      channelId = parseSipUri(req.uri).user;
    } catch {
      channelId = undefined;
    }
    if (!channelId || !/^\d{20}$/.test(channelId)) return this.refuse(r, 404, `the Request-URI names no 20-digit channel ID`);
    const platform = peer.platform;
    if (!platform.shareAll && !platform.channels.includes(channelId)) return this.refuse(r, 404, `channel ${channelId} is not shared with this platform`);
    const ref = await this.shared.resolve(platform, channelId);
    if (!ref) return this.refuse(r, 404, `no device of this gateway has channel ${channelId}`);
    const deviceId = ref.deviceId;
    if (this.closing) return this.refuse(r, 503, 'the gateway is shutting down');
    if (this.entries.has(key)) return this.refuse(r, 482, 'this Call-ID and From tag already have an upward session', 'Loop Detected');

    // y= is the SSRC we must send with (Annex F); an offer without one gets ours, answered in y=.
    const ssrc = offer.ssrc ?? String(Math.floor(Math.random() * 1e9)).padStart(10, offer.sessionName === 'Play' ? '0' : '1');
    const session = new UpwardSession(
      {
        callId, platformId: platform.id, deviceId, channelId, offer, ssrc,
        mediaIp: this.cfg.MEDIA_IP ?? this.sip.transport.localHostFor(offer.host), bindHost: this.cfg.MEDIA_BIND_HOST,
      },
      {
        openStream: (d, c, o) => this.streams.open(d, c, o),
        bindOnPoolPort: (open) => this.streams.bindOnPoolPort(open),
        bye: (dialog) => this.bye(peer, dialog, callId),
        log: (level, m) => this.log[level](m),
      },
    );
    const entry: Entry = { session, peer, remoteTag, localTag: newTag(), pending: { branch, respond: r.respond, answered: false } };
    this.entries.set(key, entry);
    session.onClose = () => this.forget(key, entry);
    this.log.log(`upward ${callId}: platform ${platform.id} asks ${offer.sessionName} of ${channelId} (device ${deviceId}) over ${offer.transport} to ${offer.host}:${offer.port}, y=${ssrc}`);
    let sdp: string | undefined;
    try {
      sdp = await session.start();
    } catch (e) {
      const { status, text } = sipStatusOfUpwardFailure(e);
      await session.close(text);
      if (entry.pending.answered) return; // CANCELled meanwhile: 487 already sent
      entry.pending.answered = true;
      return this.refuse(r, status, text);
    }
    if (!sdp || entry.pending.answered || !session.isOpen) {
      // CANCELled (487 sent) or ended by shutdown (503 sent) meanwhile: start() released what it took
      await session.close(session.closeReason ?? 'ended before the answer');
      return;
    }
    entry.pending.answered = true;
    r.respond(200, 'OK', { toTag: entry.localTag, headers: [['Contact', this.contact(peer)]], body: Buffer.from(sdp), contentType: 'application/sdp' });
    session.attach(Dialog.fromUasRequest(req, entry.localTag));
  }

  private forget(key: string, e: Entry): void {
    if (this.entries.get(key) !== e) return;
    this.entries.delete(key);
    this.ended.push(e.session);
    if (this.ended.length > MAX_ENDED_UPWARD_LISTED) this.ended.shift();
  }

  /** Our Contact towards the superior: our local ID there, at our address towards it. */
  private contact(peer: SuperiorPeer): string {
    return `<sip:${peer.localId}@${this.sip.transport.localHostFor(peer.flow.remoteHost)}:${this.sip.port}>`;
  }

  /** BYE upward in our UAS dialog, along the flow of our registration with the superior (TCP: its connection). */
  private async bye(peer: SuperiorPeer, dialog: Dialog, callId: string): Promise<void> {
    try {
      const res = await this.sip.endpoint.sendInDialog(dialog, 'BYE', peer.flow, { contact: this.contact(peer) });
      if (res.status >= 300) this.log.warn(`upward ${callId}: the superior answered our BYE ${res.status} ${res.reason}`);
    } catch (e) {
      this.log.warn(`upward ${callId}: BYE to the superior got no answer: ${(e as Error).message}`);
    }
  }

  private onCancel(r: IncomingRequest): boolean {
    let key: string;
    let branch: string | undefined;
    try {
      key = this.keyOf(r.req.headers.get('call-id') ?? '', getTag(r.req.headers.get('from') ?? '') ?? '');
      branch = parseVia(r.req.headers.getAll('via')[0] ?? '').params['branch'] ?? undefined;
    } catch {
      return false;
    }
    const e = this.entries.get(key);
    if (!e || e.pending.branch !== branch) return false;
    // RFC 3261 §9.2: 200 to the CANCEL; the INVITE, if not answered yet, gets 487 and the session ends.
    r.respond(200, 'OK');
    if (!e.pending.answered) {
      e.pending.answered = true;
      e.pending.respond(487, 'Request Terminated');
      void e.session.close('the superior CANCELled its INVITE');
    }
    return true;
  }

  private onBye(r: IncomingRequest): boolean {
    const e = this.entryOfDialog(r.req);
    if (!e) return false;
    r.respond(200, 'OK');
    void e.session.close('the superior sent BYE', true);
    return true;
  }

  /**
   * INFO in an upward dialog: MANSRTSP playback control (GB/T 28181-2016 Annex B) goes to the camera's playback
   * session of this leg, and its answer comes back. A live leg shares the stream with others: 488.
   */
  private onInfo(r: IncomingRequest): boolean {
    const e = this.entryOfDialog(r.req);
    if (!e) return false;
    const s = e.session;
    const body = r.req.body;
    const type = (r.req.headers.get('content-type') ?? '').trim();
    if (!s.isOpen || !s.stream) {
      r.respond(481, 'Call/Transaction Does Not Exist');
    } else if (type.toLowerCase() !== MANSRTSP_CONTENT_TYPE.toLowerCase()) {
      r.respond(415, 'Unsupported Media Type', { headers: [['Accept', MANSRTSP_CONTENT_TYPE]] });
    } else if (body.length > MAX_UPWARD_MANSRTSP_BYTES || !/^(PLAY|PAUSE|TEARDOWN)\s+(MANS)?RTSP\/1\.0\r?\n[\x20-\x7e\r\n\t]*$/.test(body.toString('latin1'))) {
      r.respond(400, 'Bad Request', { headers: [warning(`not a MANSRTSP request of at most ${MAX_UPWARD_MANSRTSP_BYTES} bytes`)] });
    } else if (s.offer.sessionName === 'Play') {
      r.respond(488, 'Not Acceptable Here', { headers: [warning('a live stream is shared with other viewers: it is not paused, sought or sped up')] });
    } else {
      const stream = s.stream;
      void stream.info(body, MANSRTSP_CONTENT_TYPE).then(
        (res) => r.respond(res.status, res.reason),
        // the camera did not answer (Timer F), or its dialog is gone
        (err: Error & { code?: string }) => r.respond(err.code === 'SIP_REQUEST_TIMEOUT' ? 504 : 500, undefined, { headers: [warning(`the camera: ${err.message}`)] }),
      );
    }
    return true;
  }

  /** Sessions of superiors this node no longer runs (deleted, disabled, edited, adopted elsewhere) end with BYE. */
  private sweep(): void {
    while (this.ended.length && Date.now() - (this.ended[0]!.closedAt ?? Date.now()) > ENDED_UPWARD_LINGER_MS) this.ended.shift();
    for (const e of this.entries.values()) {
      if (e.pending.answered && e.session.isOpen && this.cascade.status(e.session.platformId) === undefined) {
        void e.session.close('the superior platform was deleted, disabled or changed');
      }
    }
  }

  /** Before the SIP transport and the streams close: BYE upward for every leg (bounded wait), 503 to unanswered INVITEs. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    const all = [...this.entries.values()];
    for (const e of all) {
      if (e.pending.answered) continue;
      e.pending.answered = true;
      try {
        e.pending.respond(503, 'Service Unavailable', { headers: [warning('the gateway is shutting down')] });
      } catch {
        /* the transaction is gone */
      }
    }
    await Promise.all(all.map((e) => e.session.close('the gateway is shutting down')));
    const byes = Promise.all(all.map((e) => e.session.byeDone));
    await Promise.race([byes, new Promise((r) => setTimeout(r, UPWARD_SHUTDOWN_BYE_WAIT_MS).unref())]);
  }
}
