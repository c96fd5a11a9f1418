import { Inject, Injectable } from '@nestjs/common';
import { timerAt } from '../common/long-timer';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CallExits } from './call-exits';
import { CallLogWriter } from './call-log-writer';
import type { CallParticipant, LiveCall } from './live-call';
import { PARTICIPANT_CHANNEL, type CallChannel } from './ports';
import type { SessionControls } from './session-controls';

/**
 * A session's clock (warnings, then the end as `time_limit`) and its waiting-room timeouts.
 * Wall-clock timers, so a session scheduled weeks ahead or a long waiting-room timeout never
 * fires early (setTimeout alone fires at once beyond 2^31 ms).
 */
@Injectable()
export class SessionTimers {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PARTICIPANT_CHANNEL) private readonly channel: CallChannel,
    private readonly exits: CallExits,
    private readonly writer: CallLogWriter,
  ) {}

  /** (Re)arms the warnings before the end and the end itself, from `controls.endsAt`. */
  schedule(call: LiveCall): void {
    const controls = call.controls!;
    for (const t of controls.clockTimers) t.clear();
    const end = controls.endsAt.getTime();
    controls.clockTimers = this.config.SESSION_WARNING_SECONDS.filter((seconds) => end - Date.now() > seconds * 1000).map((seconds) =>
      timerAt(end - seconds * 1000, () => {
        const payload = { callId: call.id, secondsLeft: seconds, endsAt: controls.endsAt.toISOString() };
        for (const p of call.participants.values()) if (p.present || p.waiting) this.exits.send(call, p.userId, 'session:time-warning', payload);
      }),
    );
    controls.clockTimers.push(timerAt(end, () => this.exits.endCall(call, 'time_limit')));
  }

  /** Someone waits: turned away (`lobby:denied` timeout) after LOBBY_TIMEOUT_SECONDS unless admitted first. */
  startLobbyTimer(call: LiveCall, p: CallParticipant): void {
    const controls = call.controls!;
    this.clearLobbyTimer(controls, p.userId);
    const timer = timerAt(Date.now() + this.config.LOBBY_TIMEOUT_SECONDS * 1000, () => {
      controls.lobbyTimers.delete(p.userId);
      if (!p.waiting || call.status === 'ended') return;
      if (p.socketId) this.channel.toSocket(p.socketId, 'lobby:denied', { callId: call.id, reason: 'timeout' });
      this.exits.leaveParticipant(call, p, 'lobby_timeout');
      this.writer.persist(call);
    });
    controls.lobbyTimers.set(p.userId, timer);
  }

  clearLobbyTimer(controls: SessionControls, userId: string): void {
    controls.lobbyTimers.get(userId)?.clear();
    controls.lobbyTimers.delete(userId);
  }
}
