import { KeyedRows } from './keyed-rows';
import type { AdminCall, AdminParticipant } from './types';

const fmtTime = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '–');

function describeParticipant(p: AdminParticipant): string {
  const media = p.state === 'joined' ? ` ${p.audioEnabled ? 'mic' : 'muted'}${p.videoEnabled ? ', camera' : ''}` : '';
  return `${p.userId} (${p.state}${media ? `,${media}` : ''})`;
}

/** The live calls of every node: status, media, participants, the node and worker hosting the media, and Force-end. */
export class CallsTable {
  private readonly rows: KeyedRows;
  private readonly pending = new Set<string>();

  constructor(
    body: HTMLTableSectionElement,
    private readonly empty: HTMLElement,
    onForceEnd: (callId: string) => void,
  ) {
    this.rows = new KeyedRows(body, 'call-row', 'call-id', (_action, callId) => onForceEnd(callId));
  }

  setPending(callId: string, pending: boolean): void {
    if (pending) this.pending.add(callId);
    else this.pending.delete(callId);
    const button = this.rows.button(callId, 'force-end');
    if (button) button.disabled = pending;
  }

  render(calls: readonly AdminCall[]): void {
    const sorted = [...calls].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    this.empty.hidden = sorted.length > 0;
    this.rows.render(
      sorted.map((c) => ({
        key: c.callId,
        attributes: { status: c.status, 'node-id': c.nodeId, 'worker-pid': c.workerPid === null ? '' : String(c.workerPid) },
        cells: [
          { field: 'call', text: c.callId, testId: 'call-id' },
          { field: 'status', text: c.status, testId: 'call-status' },
          { field: 'media', text: c.media },
          { field: 'node', text: c.nodeId.slice(0, 8), title: c.nodeId, testId: 'call-node' },
          { field: 'worker', text: c.workerPid === null ? '–' : String(c.workerPid), testId: 'call-worker' },
          { field: 'participants', text: c.participants.map(describeParticipant).join('; '), testId: 'call-participants' },
          { field: 'started', text: fmtTime(c.createdAt), title: c.answeredAt ? `answered ${fmtTime(c.answeredAt)}` : 'not answered yet' },
          { field: 'end', button: { label: 'Force-end', action: 'force-end', testId: 'force-end', danger: true, disabled: this.pending.has(c.callId) } },
        ],
      })),
    );
  }
}
