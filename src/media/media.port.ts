import type { ConsumeAck, ConsumeInput, DtlsInput, MediaQualitySample, ProduceInput, ProducerInfo, RoomCounts, TransportAck } from './media.types';

/** What a room tells the domain. The domain turns these into participant notifications. */
export interface RoomSink {
  producerClosed(producerId: string, ownerId: string): void;
  consumerClosed(userId: string, consumerId: string): void;
  /** The room moved to a new router (its worker died): every participant must re-create transports. */
  rehomed(rtpCapabilities: unknown, reason: 'worker_died' | 'migrated' | 'node_lost'): void;
  /** The room is gone for good (no worker could take it). */
  failed(reason: string): void;
}

/**
 * The whole surface the call domain uses to drive media. Every method is scoped to
 * (callId, userId): a user can only touch their own transports, producers and consumers.
 */
export interface MediaPort {
  openRoom(callId: string, sink: RoomSink): Promise<{ rtpCapabilities: unknown }>;
  closeRoom(callId: string): void;
  hasRoom(callId: string): boolean;
  roomIds(): string[];
  removePeer(callId: string, userId: string): void;
  createTransport(callId: string, userId: string, direction: 'send' | 'recv'): Promise<TransportAck>;
  connectTransport(callId: string, userId: string, transportId: string, dtls: DtlsInput): Promise<void>;
  restartIce(callId: string, userId: string, transportId: string): Promise<unknown>;
  produce(callId: string, userId: string, input: ProduceInput): Promise<ProducerInfo>;
  consume(callId: string, userId: string, input: ConsumeInput): Promise<ConsumeAck>;
  resumeConsumer(callId: string, userId: string, consumerId: string): Promise<void>;
  setProducerPaused(callId: string, userId: string, producerId: string, paused: boolean): Promise<ProducerInfo>;
  closeProducer(callId: string, userId: string, producerId: string): void;
  producers(callId: string): ProducerInfo[];
  counts(callId: string): RoomCounts | undefined;
  qualitySamples(callId: string): Promise<MediaQualitySample[]>;
}

export const MEDIA_PORT = Symbol('MEDIA_PORT');
