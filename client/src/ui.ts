import type { AppState } from './debug-api';
import { StatusView, byTestId } from './dom';
import { GuestEntry } from './guest-entry';
import { PresencePanel } from './presence-panel';
import { SchedulePanel } from './schedule-panel';

type Section = 'signIn' | 'lobby' | 'sessions' | 'guest' | 'waitingRoom' | 'incoming' | 'call' | 'presence';

/** The sections shown in each state. */
const SECTIONS: Record<AppState, ReadonlyArray<Section>> = {
  'signed-out': ['signIn'],
  connecting: ['signIn'],
  disconnected: ['signIn'],
  ready: ['lobby', 'sessions', 'presence'],
  incoming: ['lobby', 'sessions', 'incoming', 'presence'],
  joining: ['call', 'presence'],
  'in-call': ['call', 'presence'],
  guest: ['guest'],
  waiting: ['waitingRoom'],
};

/** The states in which a guest (no sign-in, no lobby) sees the entry screen instead. */
const GUEST_ENTRY_STATES = new Set<AppState>(['signed-out', 'connecting', 'disconnected', 'ready', 'incoming']);

/** Who is using the page: a signed-in member or host, or a guest who came through an invite link. */
export interface ViewMode {
  host: boolean;
  guest: boolean;
}

export interface TileBadges {
  micOff: boolean;
  cameraOff: boolean;
}

/** All DOM access (the presence panel's rows: presence-panel.ts). Knows nothing about sockets or mediasoup. */
export class View extends StatusView {
  readonly signIn = byTestId<HTMLFormElement>('sign-in');
  readonly nameInput = byTestId<HTMLInputElement>('name-input');
  readonly userIdInput = byTestId<HTMLInputElement>('user-id-input');
  readonly connectButton = byTestId<HTMLButtonElement>('connect');
  readonly roleSelect = byTestId<HTMLSelectElement>('role-select');
  /** Media only through the TURN relays of the join ack (iceTransportPolicy `relay`), for strict firewalls and for checking TURN. */
  readonly forceRelay = byTestId<HTMLInputElement>('force-relay');
  readonly sessions = new SchedulePanel();
  readonly guest = new GuestEntry();
  readonly waitingRoom = byTestId<HTMLElement>('waiting-room');
  readonly waitingText = byTestId<HTMLElement>('waiting-text');
  readonly waitingLeaveButton = byTestId<HTMLButtonElement>('waiting-leave');
  /** Adds controls to each new remote tile (a session host's Mute mic / Send back / Remove). */
  tileDecorator: ((tile: HTMLElement, userId: string) => void) | null = null;
  readonly lobby = byTestId<HTMLElement>('lobby');
  readonly placeCallForm = document.getElementById('place-call') as HTMLFormElement;
  readonly calleeInput = byTestId<HTMLInputElement>('callee-input');
  readonly joinForm = document.getElementById('join-call') as HTMLFormElement;
  readonly joinIdInput = byTestId<HTMLInputElement>('join-id-input');
  readonly incoming = byTestId<HTMLElement>('incoming');
  readonly incomingText = byTestId<HTMLElement>('incoming-text');
  readonly answerButton = byTestId<HTMLButtonElement>('answer');
  readonly declineButton = byTestId<HTMLButtonElement>('decline');
  readonly call = byTestId<HTMLElement>('call');
  readonly callId = byTestId<HTMLElement>('call-id');
  readonly muteButton = byTestId<HTMLButtonElement>('mute');
  readonly cameraButton = byTestId<HTMLButtonElement>('camera');
  readonly leaveButton = byTestId<HTMLButtonElement>('leave');
  readonly endButton = byTestId<HTMLButtonElement>('end');
  readonly presence = new PresencePanel(byTestId<HTMLElement>('presence'));
  private readonly grid = byTestId<HTMLElement>('grid');
  private readonly localVideo = byTestId<HTMLElement>('local-tile').querySelector('video') as HTMLVideoElement;

  constructor() {
    super('status', 'error');
  }

  showState(state: AppState, mode: ViewMode = { host: false, guest: false }): void {
    // A guest has no lobby, sessions or presence: between calls they see the entry screen.
    const visible = mode.guest && GUEST_ENTRY_STATES.has(state) ? SECTIONS.guest : SECTIONS[state];
    this.signIn.hidden = !visible.includes('signIn');
    this.lobby.hidden = !visible.includes('lobby');
    this.sessions.root.hidden = !visible.includes('sessions') || !mode.host;
    this.guest.root.hidden = !visible.includes('guest');
    this.waitingRoom.hidden = !visible.includes('waitingRoom');
    this.incoming.hidden = !visible.includes('incoming');
    this.call.hidden = !visible.includes('call');
    this.presence.root.hidden = !visible.includes('presence') || mode.guest;
    this.presence.setCallable(state === 'ready');
    this.connectButton.disabled = state === 'connecting';
    document.body.dataset.state = state;
  }

  showIncoming(fromName: string, media: string): void {
    this.incomingText.textContent = `${fromName} is calling (${media})`;
  }

  showCall(callId: string): void {
    this.callId.textContent = callId;
  }

  setControls(c: { micEnabled: boolean; cameraEnabled: boolean; hasCamera: boolean; canEnd: boolean; busy: boolean }): void {
    this.muteButton.textContent = c.micEnabled ? 'Mute' : 'Unmute';
    this.muteButton.setAttribute('aria-pressed', String(!c.micEnabled));
    this.cameraButton.textContent = c.cameraEnabled ? 'Camera off' : 'Camera on';
    this.cameraButton.setAttribute('aria-pressed', String(!c.cameraEnabled));
    this.cameraButton.disabled = !c.hasCamera || c.busy;
    this.muteButton.disabled = c.busy;
    this.endButton.disabled = !c.canEnd;
  }

  setLocalPreview(stream: MediaStream | null): void {
    this.localVideo.srcObject = stream;
  }

  // ------------------------------------------------------------------ remote tiles

  private tile(userId: string): HTMLElement | null {
    return this.grid.querySelector<HTMLElement>(`[data-testid="remote-tile"][data-user-id="${CSS.escape(userId)}"]`);
  }

  /** One tile per remote participant: video, a separate audio element, name and badges. */
  upsertTile(userId: string, name: string, state: string, host = false): HTMLElement {
    let tile = this.tile(userId);
    if (!tile) {
      tile = document.createElement('figure');
      tile.className = 'tile';
      tile.dataset.testid = 'remote-tile';
      tile.dataset.userId = userId;
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      video.muted = true; // sound plays through the audio element
      const audio = document.createElement('audio');
      audio.autoplay = true;
      const caption = document.createElement('figcaption');
      // The host badge is an element of its own, set from the server's role: no name can draw it.
      const hostBadge = document.createElement('span');
      hostBadge.className = 'host-badge';
      hostBadge.dataset.testid = 'host-badge';
      hostBadge.textContent = 'Host';
      const label = document.createElement('span');
      label.className = 'name';
      const badges = document.createElement('span');
      badges.className = 'badges';
      caption.append(hostBadge, label, ' ', badges);
      tile.append(video, audio, caption);
      this.tileDecorator?.(tile, userId);
      this.grid.append(tile);
    }
    (tile.querySelector('.name') as HTMLElement).textContent = name;
    (tile.querySelector('.host-badge') as HTMLElement).hidden = !host;
    tile.dataset.state = state;
    return tile;
  }

  setBadges(userId: string, badges: TileBadges, state: string): void {
    const tile = this.tile(userId);
    if (!tile) return;
    const parts = [badges.micOff ? 'muted' : '', badges.cameraOff ? 'camera off' : '', state === 'reconnecting' ? 'reconnecting…' : ''];
    (tile.querySelector('.badges') as HTMLElement).textContent = parts.filter(Boolean).join(' · ');
    tile.dataset.state = state;
  }

  addRemoteTrack(userId: string, track: MediaStreamTrack): void {
    const tile = this.tile(userId);
    if (!tile) return;
    const el = tile.querySelector(track.kind === 'video' ? 'video' : 'audio') as HTMLMediaElement;
    const tracks = el.srcObject instanceof MediaStream ? el.srcObject.getTracks() : [];
    el.srcObject = new MediaStream([...tracks.filter((t) => t.kind === track.kind && t !== track), track]);
    el.play().catch(() => {
      // Autoplay refused (no user gesture yet): the element starts on the next interaction.
    });
  }

  removeRemoteTrack(userId: string, track: MediaStreamTrack): void {
    const tile = this.tile(userId);
    if (!tile) return;
    for (const el of tile.querySelectorAll<HTMLMediaElement>('video, audio')) {
      if (!(el.srcObject instanceof MediaStream)) continue;
      const rest = el.srcObject.getTracks().filter((t) => t !== track);
      el.srcObject = rest.length ? new MediaStream(rest) : null;
    }
  }

  removeTile(userId: string): void {
    const tile = this.tile(userId);
    if (!tile) return;
    for (const el of tile.querySelectorAll<HTMLMediaElement>('video, audio')) el.srcObject = null;
    tile.remove();
  }

  clearTiles(): void {
    for (const tile of this.grid.querySelectorAll<HTMLElement>('[data-testid="remote-tile"]')) this.removeTile(tile.dataset.userId ?? '');
  }
}
