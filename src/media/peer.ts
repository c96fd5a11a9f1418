import type { types as ms } from 'mediasoup';
import type { MediaSource } from './media.types';
import type { RoomRouter } from './router-set';

export type Direction = 'send' | 'recv' | 'plain';

export interface PeerTransport {
  transport: ms.WebRtcTransport | ms.PlainTransport;
  direction: Direction;
  /** The router (primary or spread) it lives on, and consumers still expected on it. */
  where: RoomRouter;
  reserved: number;
}

export interface PeerProducer {
  producer: ms.Producer;
  source: MediaSource;
}

export interface PeerConsumer {
  consumer: ms.Consumer;
  source: MediaSource;
  ownerId: string;
}

/**
 * One participant's media objects inside a room. Closing a transport closes its producers
 * and consumers inside mediasoup; the maps forget them through the objects' own events.
 */
export class Peer {
  readonly transports = new Map<string, PeerTransport>();
  readonly producers = new Map<string, PeerProducer>();
  readonly consumers = new Map<string, PeerConsumer>();
  private closed = false;

  constructor(readonly userId: string) {}

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Children first: consumers, producers, then the transports that carried them.
    for (const { consumer } of this.consumers.values()) consumer.close();
    for (const { producer } of this.producers.values()) producer.close();
    for (const { transport } of this.transports.values()) transport.close();
    this.consumers.clear();
    this.producers.clear();
    this.transports.clear();
  }
}

/** The most media objects one participant may hold in a room. */
export interface PeerCaps {
  transports: number;
  producers: number;
  consumers: number;
}
export const UNCAPPED: PeerCaps = { transports: Infinity, producers: Infinity, consumers: Infinity };
