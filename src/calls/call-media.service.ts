import { Inject, Injectable } from '@nestjs/common';
import { forbidden } from '../common/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MEDIA_PORT, type MediaPort } from '../media/media.port';
import type { ConsumeAck, ConsumeInput, DtlsInput, ProduceInput, ProducerInfo, TransportAck } from '../media/media.types';
import type { LiveCall } from './live-call';
import { CallExits } from './call-exits';
import { CallRegistry } from './call-registry';
import type { IceServer } from './ice-server.types';
import { iceServersFromSettings } from './ice-servers';
import { PARTICIPANT_CHANNEL, type Actor, type CallChannel } from './ports';

/**
 * The media half of the contract: every request is allowed only from the device that holds
 * a joined seat in the call (FORBIDDEN otherwise), then handed to the sealed media layer.
 */
@Injectable()
export class CallMediaService {
  constructor(
    private readonly registry: CallRegistry,
    private readonly exits: CallExits,
    @Inject(MEDIA_PORT) private readonly media: MediaPort,
    @Inject(PARTICIPANT_CHANNEL) private readonly channel: CallChannel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async createTransport(actor: Actor, callId: string, direction: 'send' | 'recv'): Promise<TransportAck> {
    const call = this.seatedCall(actor, callId);
    return this.media.createTransport(call.id, actor.userId, direction);
  }

  async connectTransport(actor: Actor, req: { transportId: string; dtlsParameters: DtlsInput }): Promise<void> {
    const call = this.seatedCall(actor);
    await this.media.connectTransport(call.id, actor.userId, req.transportId, req.dtlsParameters);
  }

  /** New ICE parameters, and fresh TURN credentials: coturn checks them only when a relay is allocated, and a restart allocates anew. */
  async restartIce(actor: Actor, transportId: string): Promise<{ iceParameters: unknown; iceServers: IceServer[] }> {
    const call = this.seatedCall(actor);
    return { iceParameters: await this.media.restartIce(call.id, actor.userId, transportId), iceServers: iceServersFromSettings(this.config, actor.userId) };
  }

  async produce(actor: Actor, req: ProduceInput): Promise<{ producerId: string }> {
    const call = this.seatedCall(actor);
    const info = await this.media.produce(call.id, actor.userId, req);
    this.exits.toPresentOthers(call, actor.userId, (p) =>
      this.channel.toSocket(p.socketId!, 'media:new-producer', {
        callId: call.id,
        producerId: info.producerId,
        userId: actor.userId,
        kind: info.kind,
        source: info.source,
      }),
    );
    this.syncMediaState(call, actor.userId);
    return { producerId: info.producerId };
  }

  async consume(actor: Actor, req: ConsumeInput): Promise<ConsumeAck> {
    const call = this.seatedCall(actor);
    return this.media.consume(call.id, actor.userId, req);
  }

  async resumeConsumer(actor: Actor, consumerId: string): Promise<void> {
    const call = this.seatedCall(actor);
    await this.media.resumeConsumer(call.id, actor.userId, consumerId);
  }

  async setProducerPaused(actor: Actor, producerId: string, paused: boolean): Promise<void> {
    const call = this.seatedCall(actor);
    const info: ProducerInfo = await this.media.setProducerPaused(call.id, actor.userId, producerId, paused);
    this.exits.toPresentOthers(call, actor.userId, (p) =>
      this.exits.send(call, p.userId, 'call:media-toggled', { callId: call.id, userId: actor.userId, source: info.source, enabled: !paused }),
    );
    this.syncMediaState(call, actor.userId);
  }

  closeProducer(actor: Actor, producerId: string): void {
    const call = this.seatedCall(actor);
    this.media.closeProducer(call.id, actor.userId, producerId);
    this.syncMediaState(call, actor.userId);
  }

  /** Throws FORBIDDEN unless this device holds a joined seat in the call (a stats report, say). */
  assertSeated(actor: Actor, callId: string): void {
    this.seatedCall(actor, callId);
  }

  /** The call in which this device holds a joined seat with media; anything else is FORBIDDEN. */
  private seatedCall(actor: Actor, callId?: string): LiveCall {
    const call = callId ? this.registry.get(callId) : this.registry.callOf(actor.userId);
    const me = call?.participants.get(actor.userId);
    if (!call || !me || me.state !== 'joined' || me.socketId !== actor.socketId || !this.media.hasRoom(call.id)) {
      throw forbidden('You are not a joined participant of this call');
    }
    return call;
  }

  /** Records whether the user's mic and camera are sending, as the media layer sees it. */
  private syncMediaState(call: LiveCall, userId: string): void {
    const mine = this.media.producers(call.id).filter((x) => x.userId === userId && !x.paused);
    this.exits.recordMediaState(call, userId, mine.some((x) => x.kind === 'audio'), mine.some((x) => x.kind === 'video'));
  }
}
