import type { App } from './app';
import type { HearthDebug } from './debug-api';

declare global {
  interface Window {
    readonly __hearth: HearthDebug;
  }
}

/** Exposes a read-only view of the client for browser tests and for debugging from the console. */
export function installDebug(app: App): void {
  const debug: HearthDebug = {
    get state() {
      return app.state;
    },
    get userId() {
      return app.userId;
    },
    get callId() {
      return app.callId;
    },
    get lastEnd() {
      return app.lastEnd ? { ...app.lastEnd } : null;
    },
    get joinSentAt() {
      return app.joinSentAt;
    },
    localTracks: () => app.media?.localTracks() ?? [],
    inboundStats: async () => (app.media ? app.media.inboundStats() : []),
    transportsClosed: () => app.media?.transportsClosed() ?? true,
    selectedPairs: async () => (app.media ? app.media.selectedPairs() : []),
    get mediaReconnecting() {
      return app.media?.reconnecting ?? false;
    },
    get mediaReconnects() {
      return app.media?.reconnects ?? 0;
    },
    participants: () => app.participants.map(({ userId, name, state }) => ({ userId, name, state })),
    presence: () => app.presenceList().map(({ userId, status }) => ({ userId, status: status === 'busy' ? 'busy' : 'online' })),
    events: () => app.events(),
    get role() {
      return app.role;
    },
    get waitingFor() {
      return app.waitingFor;
    },
    waitingList: () => app.sessionPanel?.waiting.get() ?? [],
    get endsAt() {
      return app.sessionPanel?.endsAt ?? null;
    },
    get locked() {
      return app.sessionPanel?.locked ?? false;
    },
    get previewLive() {
      return app.previewLive;
    },
    probeMediaRequest: () => app.probeMediaRequest(),
  };
  Object.defineProperty(window, '__hearth', { value: Object.freeze(debug), enumerable: false });
}
