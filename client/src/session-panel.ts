import type { ServerEvents } from '../../src/signaling/catalogue';
import { byTestId } from './dom';
import { WaitingList, type WaitingEntry } from './waiting-list';

/** Host actions the panel's buttons trigger (the app sends them and reports failures). */
export interface HostActions {
  admit(userId: string): void;
  deny(userId: string): void;
  admitAll(): void;
  mute(userId: string): void;
  remove(userId: string): void;
  sendBack(userId: string): void;
  setLocked(locked: boolean): void;
  extend(minutes: number): void;
}

const EXTEND_MINUTES = 10;

/** mm:ss (or h:mm:ss) until `endsAt`, never negative. */
export function formatLeft(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/**
 * A scheduled session's call on screen: the countdown to its end and time warnings (everyone),
 * and for a host the waiting room, Lock, Extend and the per-tile Mute mic / Remove / Send back.
 * One per call; dispose() hides it all.
 */
export class SessionPanel {
  readonly waiting = new WaitingList(byTestId<HTMLUListElement>('waiting-list'), byTestId<HTMLElement>('waiting-empty'));
  locked = false;
  private readonly clock = byTestId<HTMLElement>('session-clock');
  private readonly countdown = byTestId<HTMLElement>('session-countdown');
  private readonly warning = byTestId<HTMLElement>('session-warning');
  private readonly hostPanel = byTestId<HTMLElement>('host-panel');
  private readonly lockButton = byTestId<HTMLButtonElement>('lock-toggle');
  private readonly extendButton = byTestId<HTMLButtonElement>('extend');
  private readonly admitAllButton = byTestId<HTMLButtonElement>('admit-all');
  private readonly timer: number;
  private readonly listeners: Array<[HTMLElement, () => void]> = [];

  constructor(
    private endsAtIso: string,
    readonly hosting: boolean,
    private readonly actions: HostActions,
  ) {
    this.clock.hidden = false;
    this.hostPanel.hidden = !hosting;
    this.warning.hidden = true;
    this.timer = window.setInterval(() => this.tick(), 1000);
    this.tick();
    if (!hosting) return;
    this.waiting.clear();
    this.waiting.onAdmit = (id) => actions.admit(id);
    this.waiting.onDeny = (id) => actions.deny(id);
    this.listen(this.lockButton, () => actions.setLocked(!this.locked));
    this.listen(this.extendButton, () => actions.extend(EXTEND_MINUTES));
    this.listen(this.admitAllButton, () => actions.admitAll());
    this.setLocked(false);
  }

  get endsAt(): string {
    return this.endsAtIso;
  }

  /** Adds the host's buttons to a new tile of another participant. */
  decorateTile(tile: HTMLElement, userId: string): void {
    if (!this.hosting) return;
    const bar = document.createElement('div');
    bar.className = 'tile-controls';
    const button = (testId: string, text: string, fn: (id: string) => void) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.testid = testId;
      b.textContent = text;
      b.addEventListener('click', () => fn(userId));
      return b;
    };
    bar.append(
      button('tile-mute', 'Mute mic', (id) => this.actions.mute(id)),
      button('tile-send-back', 'Send back', (id) => this.actions.sendBack(id)),
      button('tile-remove', 'Remove', (id) => this.actions.remove(id)),
    );
    tile.append(bar);
  }

  knock(e: ServerEvents['lobby:knock']): void {
    if (this.hosting) this.waiting.add({ userId: e.userId, name: e.name });
  }

  /** Seeds the waiting room from the join ack (people who knocked before we arrived). */
  seed(entries: WaitingEntry[]): void {
    if (this.hosting) for (const e of entries) this.waiting.add(e);
  }

  extended(endsAt: string): void {
    this.endsAtIso = endsAt;
    this.warning.hidden = true;
    this.tick();
  }

  timeWarning(e: ServerEvents['session:time-warning']): void {
    this.endsAtIso = e.endsAt;
    const minutes = Math.round(e.secondsLeft / 60);
    this.warning.textContent = e.secondsLeft >= 60 ? `The session ends in ${minutes} minute${minutes === 1 ? '' : 's'}` : `The session ends in ${e.secondsLeft} seconds`;
    this.warning.dataset.secondsLeft = String(e.secondsLeft);
    this.warning.hidden = false;
    this.tick();
  }

  setLocked(locked: boolean): void {
    this.locked = locked;
    this.lockButton.textContent = locked ? 'Unlock' : 'Lock';
    this.lockButton.setAttribute('aria-pressed', String(locked));
  }

  dispose(): void {
    window.clearInterval(this.timer);
    for (const [el, fn] of this.listeners) el.removeEventListener('click', fn);
    this.waiting.clear();
    this.clock.hidden = true;
    this.warning.hidden = true;
    this.hostPanel.hidden = true;
  }

  private tick(): void {
    const left = new Date(this.endsAtIso).getTime() - Date.now();
    this.countdown.textContent = formatLeft(left);
    this.countdown.setAttribute('datetime', this.endsAtIso);
  }

  private listen(el: HTMLElement, fn: () => void): void {
    el.addEventListener('click', fn);
    this.listeners.push([el, fn]);
  }
}
