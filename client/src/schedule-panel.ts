import { byTestId } from './dom';
import type { ScheduleInput, SessionSummary } from './sessions-api';

/** `YYYY-MM-DDTHH:MM` in local time, for a datetime-local input. */
function localInputValue(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export interface SchedulePanelActions {
  schedule(input: ScheduleInput): void;
  /** Resolves to the session's invite link (issuing one when the list did not carry it). */
  inviteLink(session: SessionSummary): Promise<string>;
  start(session: SessionSummary): void;
}

/** The therapist's "Schedule session" form and the list of their sessions (DOM only). */
export class SchedulePanel {
  readonly root = byTestId<HTMLElement>('sessions');
  private readonly form = byTestId<HTMLFormElement>('schedule-form');
  private readonly title = byTestId<HTMLInputElement>('session-title');
  private readonly startsAt = byTestId<HTMLInputElement>('session-start');
  private readonly duration = byTestId<HTMLInputElement>('session-duration');
  private readonly lobby = byTestId<HTMLInputElement>('session-lobby');
  private readonly list = byTestId<HTMLUListElement>('session-list');
  private readonly empty = byTestId<HTMLElement>('sessions-empty');
  private actions: SchedulePanelActions | null = null;
  private defaultStart = '';

  bind(actions: SchedulePanelActions): void {
    this.actions = actions;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      // Empty, or left at the "now" the form was shown with, means now (to the second).
      const value = this.startsAt.value;
      const start = !value || value === this.defaultStart ? new Date() : new Date(value);
      actions.schedule({
        title: this.title.value.trim(),
        startsAt: start.toISOString(),
        durationMinutes: Number(this.duration.value),
        lobby: this.lobby.checked,
      });
    });
  }

  /** Shows the form with the start set to now. */
  reset(): void {
    this.defaultStart = localInputValue(new Date());
    this.startsAt.value = this.defaultStart;
  }

  render(sessions: SessionSummary[], inviteLinks: ReadonlyMap<string, string>): void {
    this.list.replaceChildren(...sessions.map((s) => this.row(s, inviteLinks.get(s.sessionId))));
    this.empty.hidden = sessions.length > 0;
  }

  setInviteLink(sessionId: string, link: string): void {
    const row = this.list.querySelector<HTMLElement>(`[data-session-id="${CSS.escape(sessionId)}"]`);
    if (row) byTestId<HTMLElement>('session-invite-link', row).textContent = link;
  }

  private row(s: SessionSummary, link: string | undefined): HTMLLIElement {
    const li = document.createElement('li');
    li.dataset.testid = 'session-row';
    li.dataset.sessionId = s.sessionId;
    li.dataset.callId = s.callId;
    li.dataset.status = s.status;
    const title = document.createElement('strong');
    title.textContent = s.title;
    const when = document.createElement('span');
    when.textContent = ` ${new Date(s.startsAt).toLocaleString()} – ${new Date(s.endsAt).toLocaleTimeString()} `;
    const invite = document.createElement('code');
    invite.dataset.testid = 'session-invite-link';
    invite.textContent = link ?? '';
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.dataset.testid = 'session-copy-invite';
    copy.textContent = 'Copy invite link';
    copy.addEventListener('click', () => void this.copy(s, copy));
    const start = document.createElement('button');
    start.type = 'button';
    start.dataset.testid = 'session-start';
    start.textContent = 'Start/Join';
    start.disabled = s.status !== 'scheduled';
    start.addEventListener('click', () => this.actions?.start(s));
    li.append(title, when, invite, ' ', copy, ' ', start);
    return li;
  }

  private async copy(s: SessionSummary, button: HTMLButtonElement): Promise<void> {
    if (!this.actions) return;
    const link = await this.actions.inviteLink(s);
    this.setInviteLink(s.sessionId, link);
    try {
      await navigator.clipboard.writeText(link);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy invite link'; // no clipboard access: the link is shown on the row
    }
  }
}
