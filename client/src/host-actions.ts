import { C2S } from '../../src/signaling/catalogue';
import type { HostActions, SessionPanel } from './session-panel';
import type { Signaling } from './signaling';

/**
 * The session host's requests for one call, wired to its panel: each sends its request and
 * updates the panel from the ack; a refusal is reported and changes nothing.
 */
export function hostActions(signaling: Signaling, callId: string, panel: () => SessionPanel | null, fail: (err: unknown, context: string) => void): HostActions {
  const run = <T>(what: string, req: Promise<T>, then?: (data: T) => void) =>
    void req.then((data) => then?.(data)).catch((err) => fail(err, `could not ${what}`));
  return {
    admit: (userId) => run('admit', signaling.request(C2S.lobbyAdmit, { callId, userId }), () => panel()?.waiting.remove(userId)),
    deny: (userId) => run('deny', signaling.request(C2S.lobbyDeny, { callId, userId }), () => panel()?.waiting.remove(userId)),
    admitAll: () => {
      const admitted = panel()?.waiting.get().map((e) => e.userId) ?? [];
      run('admit everyone', signaling.request(C2S.lobbyAdmitAll, { callId }), () => admitted.forEach((id) => panel()?.waiting.remove(id)));
    },
    mute: (userId) => run('mute', signaling.request(C2S.hostMute, { callId, userId, source: 'mic' })),
    remove: (userId) => run('remove', signaling.request(C2S.hostRemove, { callId, userId })),
    sendBack: (userId) => run('send back', signaling.request(C2S.lobbySendBack, { callId, userId })),
    setLocked: (locked) => run(locked ? 'lock' : 'unlock', signaling.request(C2S.hostLock, { callId, locked }), () => panel()?.setLocked(locked)),
    extend: (minutes) => run('extend', signaling.request(C2S.sessionExtend, { callId, minutes }), (data) => panel()?.extended(data.endsAt)),
  };
}
