import type { AppConfig } from '../config/app-config';
import type { MediaPort } from '../media/media.port';
import { BusyLocks } from './busy-locks';
import { CallExits } from './call-exits';
import { CallLogWriter } from './call-log-writer';
import { CallMediaService } from './call-media.service';
import { CallRegistry } from './call-registry';
import { SessionCalls } from './session-calls';
import { SessionHostControls } from './session-host-controls';
import { SessionTimers } from './session-timers';
import { SessionWrites } from './session-writes';
import { CallService, type Actor } from './call.service';
import { MemoryPresenceStore } from '../presence/memory-presence.store';
import { PresenceService } from '../presence/presence.service';
import type { CallLogStore, CallChannel } from './ports';
import { singleNode } from './ports';

const services: CallService[] = [];

type Emitted = { to: string; event: string; payload: Record<string, unknown> };

function setup(online: string[] = ['a', 'b', 'c']) {
  const emitted: Emitted[] = [];
  const channel = {
    toUser: jest.fn((to: string, event: string, payload: unknown) => void emitted.push({ to, event, payload: payload as Record<string, unknown> })),
    toSocket: jest.fn((to: string, event: string, payload: unknown) => void emitted.push({ to, event, payload: payload as Record<string, unknown> })),
    toAudience: jest.fn(),
    dropSocket: jest.fn(),
    toUserExcept: jest.fn((to: string, _except: string, event: string, payload: unknown) => void emitted.push({ to, event, payload: payload as Record<string, unknown> })),
  } as unknown as jest.Mocked<CallChannel>;
  const media = {
    openRoom: jest.fn(async () => ({ rtpCapabilities: { codecs: [] } })),
    closeRoom: jest.fn(),
    hasRoom: jest.fn(() => true),
    removePeer: jest.fn(),
    createTransport: jest.fn(),
    connectTransport: jest.fn(),
    restartIce: jest.fn(),
    produce: jest.fn(),
    consume: jest.fn(),
    resumeConsumer: jest.fn(),
    setProducerPaused: jest.fn(),
    closeProducer: jest.fn(),
    producers: jest.fn(() => []),
    counts: jest.fn(),
  } as unknown as jest.Mocked<MediaPort>;
  const log = { save: jest.fn(async () => undefined) } as unknown as jest.Mocked<CallLogStore>;
  const config = { RING_TIMEOUT_SECONDS: 30, RECONNECT_GRACE_SECONDS: 60, BUSY_LOCK_TTL_SECONDS: 60, DEVICE_TTL_SECONDS: 90, ICE_SERVERS: [], TURN_URLS: [], TURN_CREDENTIAL_TTL_SECONDS: 3600 } as unknown as AppConfig;
  // The in-process presence twin stands in for Redis; devices of the online users are registered.
  const store = new MemoryPresenceStore();
  for (const u of online) void store.addDevice(u, `${u}-dev`, 60_000);
  const presence = new PresenceService(config, store, channel);
  const directory = { byCallId: jest.fn(async () => null), setLocked: jest.fn(), setDuration: jest.fn(), markEnded: jest.fn() };
  // The same pieces Nest wires in CallsModule.
  const registry = new CallRegistry(presence);
  const ownership = singleNode('node-1');
  const writer = new CallLogWriter(log, config, ownership);
  const locks = new BusyLocks(config, presence, registry);
  const exits = new CallExits(channel, media, registry, locks, writer, ownership);
  const admissions = { inviteValid: jest.fn(async () => true), block: jest.fn(async () => undefined) };
  const timers = new SessionTimers(config, channel, exits, writer);
  const writes = new SessionWrites(directory, admissions);
  const hostControls = new SessionHostControls(channel, media, writes, registry, exits, writer, timers);
  const sessions = new SessionCalls(config, channel, directory, admissions, registry, exits, writer, locks, timers, hostControls, writes, ownership);
  const service = new CallService(config, media, channel, presence, registry, writer, locks, exits, sessions, ownership);
  services.push(service);
  const actor = (userId: string): Actor => ({ userId, name: userId.toUpperCase(), role: 'member', socketId: `${userId}-dev` });
  const events = (event: string) => emitted.filter((e) => e.event === event);
  const settled = () => Promise.all([writer.flush(), locks.flush()]);
  return { service, registry, settled, media, channel, log, actor, events, store, config, exits };
}

afterEach(() => {
  // Ends whatever a test left ringing, so no timer outlives it.
  for (const s of services.splice(0)) void s.beforeApplicationShutdown();
  jest.useRealTimers();
});

describe('CallService', () => {
  it('refuses to call yourself, an offline user, or a busy user', async () => {
    const { service, actor } = setup(['a', 'b', 'c']);
    await expect(service.initiate(actor('a'), { calleeIds: ['a'], media: 'audio' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(service.initiate(actor('a'), { calleeIds: ['zed'], media: 'audio' })).rejects.toMatchObject({ code: 'USER_OFFLINE', details: { offlineUserIds: ['zed'] } });
    await service.initiate(actor('a'), { calleeIds: ['b'], media: 'audio' });
    await expect(service.initiate(actor('c'), { calleeIds: ['b'], media: 'audio' })).rejects.toMatchObject({ code: 'USER_BUSY', details: { busyUserIds: ['b'] } });
    await expect(service.initiate(actor('a'), { calleeIds: ['c'], media: 'audio' })).rejects.toMatchObject({ code: 'ALREADY_IN_CALL' });
  });

  it('returns the same call for a repeated initiate while it rings', async () => {
    const { service, actor, events } = setup();
    const first = await service.initiate(actor('a'), { calleeIds: ['b'], media: 'video' });
    const second = await service.initiate(actor('a'), { calleeIds: ['b'], media: 'video' });
    expect(second.callId).toBe(first.callId);
    expect(events('call:incoming')).toHaveLength(1);
  });

  it('ends once: two ends give one call:ended per party, one room close, everyone released', async () => {
    const { service, registry, settled, actor, media, events, store } = setup();
    const { callId } = await service.initiate(actor('a'), { calleeIds: ['b'], media: 'audio' });
    expect((await store.busyEntries()).map((e) => e.userId).sort()).toEqual(['a', 'b']);
    await service.join(actor('a'), callId);
    await service.join(actor('b'), callId);
    service.end(actor('a'), callId);
    expect(() => service.end(actor('b'), callId)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(events('call:ended').map((e) => e.to).sort()).toEqual(['a', 'b']);
    expect(events('call:ended')[0].payload).toMatchObject({ callId, reason: 'completed' });
    expect(media.closeRoom).toHaveBeenCalledTimes(1);
    await settled();
    expect(registry.busyUserIds()).toEqual([]);
    expect(await store.busyEntries()).toEqual([]);
  });

  it('ends an unanswered call as missed after the ring timeout', async () => {
    jest.useFakeTimers();
    const { service, registry, settled, actor, events, media } = setup();
    const { callId } = await service.initiate(actor('a'), { calleeIds: ['b'], media: 'audio' });
    jest.advanceTimersByTime(29_999);
    expect(events('call:ended')).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(events('call:ended').map((e) => e.payload)).toEqual([
      { callId, reason: 'missed', durationSeconds: 0 },
      { callId, reason: 'missed', durationSeconds: 0 },
    ]);
    expect(media.closeRoom).toHaveBeenCalledWith(callId);
    await settled();
    expect(registry.busyUserIds()).toEqual([]);
  });

  it('keeps a group call going when one callee declines, and ends it when the last one does', async () => {
    const { service, registry, settled, actor, events } = setup();
    const { callId } = await service.initiate(actor('a'), { calleeIds: ['b', 'c'], media: 'audio' });
    service.decline(actor('b'), callId);
    expect(registry.get(callId)?.status).toBe('ringing');
    expect(registry.callOf('b')).toBeUndefined();
    service.decline(actor('c'), callId);
    expect(events('call:declined')).toHaveLength(2);
    expect(events('call:ended')[0].payload).toMatchObject({ reason: 'declined' });
    await settled();
    expect(registry.busyUserIds()).toEqual([]);
  });

  it('refuses media requests from a device that does not hold the seat', async () => {
    const { service, registry, actor, media, channel, config, exits } = setup();
    const { callId } = await service.initiate(actor('a'), { calleeIds: ['b'], media: 'audio' });
    await service.join(actor('b'), callId);
    const otherDevice: Actor = { ...actor('b'), socketId: 'b-phone' };
    const callMedia = new CallMediaService(registry, exits, media, channel, config);
    await expect(callMedia.createTransport(otherDevice, callId, 'send')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(callMedia.createTransport(actor('c'), callId, 'send')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
