import { Device, type types as msc } from 'mediasoup-client';
import { C2S, type MediaSource } from '../../src/signaling/catalogue';
import type { MediaConnectionEvents } from './media-connection';
import type { MediaGeneration } from './media-generation';
import type { Signaling } from './signaling';

export type SourceAppData = { source: MediaSource };

type Direction = 'send' | 'recv';

/**
 * One loaded Device per router capabilities, shared by every call of the page. Loading one
 * probes the browser (an RTCPeerConnection and an offer), which every join otherwise waited
 * for; every router of a deployment has the same capabilities, so after the first call a
 * join goes straight to its transports.
 */
let shared: { caps: string; device: Device; load: Promise<void> } | null = null;

function loadedDevice(routerRtpCapabilities: unknown): { caps: string; device: Device; load: Promise<void> } {
  const caps = JSON.stringify(routerRtpCapabilities);
  if (shared?.caps !== caps) {
    const device = new Device();
    const entry = { caps, device, load: device.load({ routerRtpCapabilities: routerRtpCapabilities as msc.RtpCapabilities }) };
    entry.load.catch(() => {
      if (shared === entry) shared = null; // the next call tries again
    });
    shared = entry;
  }
  return shared;
}

/**
 * The transport side of one call's media: the mediasoup Device, the send and receive transports
 * of the current generation, their DTLS connect and produce requests, and ICE restarts.
 */
export class MediaTransports {
  device = new Device();
  /** Assigned by the connection once each is wanted: receive first, send after the local capture. */
  send: msc.Transport | null = null;
  recv: msc.Transport | null = null;
  /** The latest ICE servers: from the join ack, renewed by each media reconnect and ICE restart. */
  iceServers: RTCIceServer[] = [];
  /** The router capabilities the device was loaded with (JSON), and that load. */
  private deviceCaps: string | null = null;
  private deviceLoad: Promise<void> = Promise.resolve();
  /** Every transport of the current generation, assigned or still being set up. */
  private readonly all = new Set<msc.Transport>();

  constructor(
    private readonly signaling: Signaling,
    private readonly callId: string,
    private readonly generation: MediaGeneration,
    private readonly events: MediaConnectionEvents,
    private readonly relayOnly: boolean,
  ) {}

  /** The Device for these router capabilities: loaded once per page (see loadedDevice). */
  loadDevice(routerRtpCapabilities: unknown): Promise<void> {
    const { caps, device, load } = loadedDevice(routerRtpCapabilities);
    this.deviceCaps = caps;
    this.device = device;
    this.deviceLoad = load;
    return load;
  }

  /** After a media reconnect: waits for the current load, then takes the Device of the router's capabilities if they changed. */
  async reloadDevice(routerRtpCapabilities: unknown, gen: number): Promise<void> {
    await this.deviceLoad.catch(() => undefined);
    this.generation.assertCurrent(gen);
    if (JSON.stringify(routerRtpCapabilities) === this.deviceCaps) return;
    await this.loadDevice(routerRtpCapabilities);
    this.generation.assertCurrent(gen);
  }

  async create(direction: Direction, gen: number): Promise<msc.Transport> {
    const { signaling, generation, iceServers } = this;
    const ack = await generation.retryWhileMoving(gen, () => signaling.request(C2S.createTransport, { callId: this.callId, direction }));
    generation.assertCurrent(gen);
    const options: msc.TransportOptions = {
      id: ack.transportId,
      iceParameters: ack.iceParameters as msc.IceParameters,
      iceCandidates: ack.iceCandidates as msc.IceCandidate[],
      dtlsParameters: ack.dtlsParameters as msc.DtlsParameters,
      iceServers,
      iceTransportPolicy: this.relayOnly ? 'relay' : 'all',
    };
    const transport = direction === 'send' ? this.device.createSendTransport(options) : this.device.createRecvTransport(options);
    this.all.add(transport);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      signaling.request(C2S.connectTransport, { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const { source } = appData as SourceAppData;
      generation.retryWhileMoving(gen, () => signaling.request(C2S.produce, { transportId: transport.id, kind, rtpParameters, source })).then(
        ({ producerId }) => callback({ id: producerId }),
        errback,
      );
    });
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed' && !transport.closed && !generation.isStale(gen)) void this.restartIce(transport, direction);
    });
    return transport;
  }

  allClosed(): boolean {
    return [...this.all].every((t) => t.closed);
  }

  /** Closes every transport; they stay listed (as closed) for `allClosed()`. */
  close(): void {
    for (const transport of this.all) transport.close();
  }

  /** Closes and forgets every transport of this generation (a media reconnect). */
  drop(): void {
    this.close();
    this.all.clear();
    this.send = null;
    this.recv = null;
  }

  private async restartIce(transport: msc.Transport, direction: Direction): Promise<void> {
    try {
      const { iceParameters, iceServers } = await this.signaling.request(C2S.restartIce, { transportId: transport.id });
      if (this.generation.closed || transport.closed) return;
      // Fresh TURN credentials first: the ones from the join ack may have expired during a long call.
      if (iceServers) {
        this.iceServers = iceServers;
        await transport.updateIceServers({ iceServers });
      }
      await transport.restartIce({ iceParameters: iceParameters as msc.IceParameters });
    } catch (err) {
      if (!this.generation.closed && !transport.closed) this.events.problem(`${direction} connection failed and could not be restarted`, err);
    }
  }
}
