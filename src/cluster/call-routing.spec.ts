import type { CallMediaService } from '../calls/call-media.service';
import type { CallRegistry } from '../calls/call-registry';
import type { Actor, CallService } from '../calls/call.service';
import type { SessionCalls } from '../calls/session-calls';
import type { SessionHostControls } from '../calls/session-host-controls';
import type { PresenceService } from '../presence/presence.service';
import type { QualityService } from '../quality/quality.service';
import { CallRouting } from './call-routing';
import { ClusterStore } from './cluster-store';
import type { NodeRelay } from './node-relay';
import type { Placement } from './placement';

/**
 * A drain hands a call to another node; the new owner tells everyone to rebuild their media at
 * once, before this node has heard that the hand-over is done. A request arriving here in that
 * window must not be served on the media this node is about to drop.
 */
describe('CallRouting while a call is being handed to another node', () => {
  const callId = 'call-1';
  const actor: Actor = { userId: 'alice', socketId: 's1', name: 'Alice', role: 'member' };

  function setup() {
    let hostedHere = true;
    const store = new ClusterStore({} as never, 'test:', 'node-a', 3000);
    jest.spyOn(store, 'holds').mockImplementation(() => hostedHere);
    jest.spyOn(store, 'ownerOf').mockImplementation(async () => ({ nodeId: hostedHere ? 'node-a' : 'node-b', epoch: hostedHere ? 1 : 2 }));
    jest.spyOn(store, 'isAlive').mockImplementation(async () => true);
    const registry = { has: jest.fn(() => hostedHere) } as unknown as CallRegistry;
    const media = { createTransport: jest.fn(async () => ({ transportId: 'on-node-a' })) } as unknown as jest.Mocked<CallMediaService>;
    const relay = {
      handle: jest.fn(),
      start: jest.fn(async () => undefined),
      request: jest.fn(async () => ({ data: { transportId: 'on-node-b' } })),
    } as unknown as jest.Mocked<NodeRelay>;
    const routing = new CallRouting(
      {} as CallService,
      media,
      {} as SessionHostControls,
      {} as SessionCalls,
      {} as QualityService,
      registry,
      {} as PresenceService,
      {} as Placement,
      store,
      relay,
    );
    return { routing, store, media, relay, handedOver: () => (hostedHere = false) };
  }

  it('waits for the hand-over, then follows the call to its new owner', async () => {
    const { routing, store, media, relay, handedOver } = setup();
    await routing.onModuleInit();
    let finish!: () => void;
    const move = store.moveOut(callId, () => new Promise<void>((resolve) => (finish = resolve)));
    const answer = routing.request('media:create-transport', actor, { callId, direction: 'send' }, callId);
    await new Promise((r) => setImmediate(r));
    expect(media.createTransport).not.toHaveBeenCalled(); // not on the media being dropped
    expect(store.moving(callId)).toBeDefined();
    handedOver();
    finish();
    await move;
    expect(await answer).toEqual({ transportId: 'on-node-b' });
    expect(relay.request).toHaveBeenCalledWith('node-b', 'call', expect.objectContaining({ op: 'media:create-transport', callId }));
    expect(media.createTransport).not.toHaveBeenCalled();
    expect(store.moving(callId)).toBeUndefined();
  });

  it('a hand-over that fails leaves the call here, and the waiting request is served here', async () => {
    const { routing, store, media, relay } = setup();
    await routing.onModuleInit();
    let fail!: (err: Error) => void;
    const move = store.moveOut(callId, () => new Promise<void>((_resolve, reject) => (fail = reject)));
    const answer = routing.request('media:create-transport', actor, { callId, direction: 'send' }, callId);
    await new Promise((r) => setImmediate(r));
    expect(media.createTransport).not.toHaveBeenCalled();
    fail(new Error('target did not answer'));
    await expect(move).rejects.toThrow('target did not answer');
    expect(await answer).toEqual({ transportId: 'on-node-a' });
    expect(relay.request).not.toHaveBeenCalled();
  });

  it('with no hand-over under way, a request for a call hosted here is served at once', async () => {
    const { routing, media } = setup();
    await routing.onModuleInit();
    expect(await routing.request('media:create-transport', actor, { callId, direction: 'send' }, callId)).toEqual({ transportId: 'on-node-a' });
    expect(media.createTransport).toHaveBeenCalledTimes(1);
  });
});
