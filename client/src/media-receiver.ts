import type { types as msc } from 'mediasoup-client';
import { C2S, type MediaKind, type MediaSource } from '../../src/signaling/catalogue';
import type { InboundStat } from './debug-api';
import type { MediaConnectionEvents } from './media-connection';
import type { MediaGeneration } from './media-generation';
import { inboundStats } from './media-stats';
import type { MediaTransports } from './media-transports';
import type { Signaling } from './signaling';

/** A remote producer this session should consume (from the join ack or `media:new-producer`). */
export interface RemoteProducer {
  producerId: string;
  userId: string;
  kind: MediaKind;
  source: MediaSource;
}

export interface RemoteTrack extends RemoteProducer {
  consumerId: string;
  track: MediaStreamTrack;
}

/** The receiving side of one call's media: a consumer per remote producer, on the receive transport. */
export class MediaReceiver {
  private readonly consumers = new Map<string, { consumer: msc.Consumer; remote: RemoteTrack }>();
  /** Producers to consume once the receive transport exists. */
  private readonly queued: RemoteProducer[] = [];
  private readonly requested = new Set<string>();
  private readonly closedProducers = new Set<string>();

  constructor(
    private readonly signaling: Signaling,
    private readonly generation: MediaGeneration,
    private readonly transports: MediaTransports,
    private readonly events: MediaConnectionEvents,
  ) {}

  /** Consume a remote producer; before the receive transport exists the request is queued. */
  async consume(producer: RemoteProducer): Promise<void> {
    const { generation } = this;
    if (generation.closed || this.requested.has(producer.producerId)) return;
    const transport = this.transports.recv;
    if (!transport) {
      if (!this.queued.some((q) => q.producerId === producer.producerId)) this.queued.push(producer);
      return;
    }
    const gen = generation.current;
    this.requested.add(producer.producerId);
    let consumer: msc.Consumer | null = null;
    try {
      const ack = await generation.retryWhileMoving(gen, () =>
        this.signaling.request(C2S.consume, {
          transportId: transport.id,
          producerId: producer.producerId,
          rtpCapabilities: this.transports.device.rtpCapabilities,
        }),
      );
      generation.assertCurrent(gen);
      consumer = await transport.consume({
        id: ack.consumerId,
        producerId: ack.producerId,
        kind: ack.kind,
        rtpParameters: ack.rtpParameters as msc.RtpParameters,
      });
      generation.assertCurrent(gen);
      // The producer may have gone while we were setting up.
      if (this.closedProducers.has(producer.producerId)) {
        consumer.close();
        return;
      }
      const remote: RemoteTrack = {
        producerId: ack.producerId,
        userId: ack.userId,
        kind: ack.kind,
        source: ack.source,
        consumerId: consumer.id,
        track: consumer.track,
      };
      this.consumers.set(consumer.id, { consumer, remote });
      this.events.remoteTrackAdded(remote);
      await generation.retryWhileMoving(gen, () => this.signaling.request(C2S.resumeConsumer, { consumerId: remote.consumerId }));
    } catch (err) {
      // One failed consumer is reported and skipped; the call goes on. A producer that went away
      // meanwhile, or media that was rebuilt meanwhile, is not a problem.
      if (generation.isStale(gen)) {
        if (consumer && !this.consumers.has(consumer.id)) consumer.close();
        return;
      }
      if (this.closedProducers.has(producer.producerId)) return;
      this.events.problem(`could not receive ${producer.kind} from ${producer.userId}`, err);
    }
  }

  /** The receive transport is there: consumes the given producers and every queued one. */
  consumeAll(producers: RemoteProducer[]): Promise<void>[] {
    return [...producers, ...this.queued.splice(0)].map((p) => this.consume(p));
  }

  /** `media:producer-closed`: the remote producer went away. */
  producerClosed(producerId: string): void {
    this.closedProducers.add(producerId);
    this.queued.splice(0, this.queued.length, ...this.queued.filter((q) => q.producerId !== producerId));
    for (const [id, { remote }] of this.consumers) if (remote.producerId === producerId) this.consumerClosed(id);
  }

  /** `media:consumer-closed`, or a producer's end seen locally. */
  consumerClosed(consumerId: string): void {
    const entry = this.consumers.get(consumerId);
    if (!entry) return;
    this.consumers.delete(consumerId);
    entry.consumer.close();
    this.events.remoteTrackRemoved(entry.remote);
  }

  inboundStats(): Promise<InboundStat[]> {
    return inboundStats([...this.consumers.values()]);
  }

  /** The connection closed: every consumer closes (the tiles go with the call). */
  close(): void {
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    this.queued.length = 0;
    for (const { consumer } of consumers) consumer.close();
  }

  /** A media reconnect: every consumer closes and its remote track goes; remote producers arrive again. */
  drop(): void {
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    for (const { consumer, remote } of consumers) {
      consumer.close();
      this.events.remoteTrackRemoved(remote);
    }
    this.queued.length = 0;
    this.requested.clear();
    this.closedProducers.clear();
  }
}
