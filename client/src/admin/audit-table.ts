import { KeyedRows } from './keyed-rows';
import type { AuditEntry } from './types';

const fmtWhen = (iso: string) => new Date(iso).toLocaleString([], { hour12: false });

function describeDetail(e: AuditEntry): string {
  const facts = Object.entries(e.detail ?? {}).map(([k, v]) => `${k}: ${String(v)}`);
  return facts.join(', ');
}

/** The operator audit log: the latest entries, newest first (time, actor, action, target, outcome). */
export class AuditTable {
  private readonly rows: KeyedRows;

  constructor(
    body: HTMLTableSectionElement,
    private readonly empty: HTMLElement,
  ) {
    this.rows = new KeyedRows(body, 'audit-row', 'audit-id', () => undefined);
  }

  render(entries: readonly AuditEntry[]): void {
    this.empty.hidden = entries.length > 0;
    this.rows.render(
      entries.map((e) => ({
        key: e.id,
        attributes: { outcome: e.outcome, action: e.action },
        cells: [
          { field: 'at', text: fmtWhen(e.at), title: e.at },
          { field: 'actor', text: e.actorId, testId: 'audit-actor' },
          { field: 'action', text: e.action, testId: 'audit-action' },
          { field: 'target', text: e.target ?? '–', testId: 'audit-target' },
          { field: 'outcome', text: e.outcome === 'ok' ? 'ok' : `failed (${e.errorCode ?? 'error'})`, testId: 'audit-outcome' },
          { field: 'detail', text: describeDetail(e) },
        ],
      })),
    );
  }
}
