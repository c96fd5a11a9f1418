import { KeyedRows } from './keyed-rows';
import type { AdminNode } from './types';

const ago = (iso: string) => `${Math.max(0, (Date.now() - Date.parse(iso)) / 1000).toFixed(1)} s ago`;

/** The gateway nodes of the deployment: state, media address, load, last heartbeat, and Drain. */
export class NodesTable {
  private readonly rows: KeyedRows;
  private readonly pending = new Set<string>();

  constructor(
    body: HTMLTableSectionElement,
    private readonly empty: HTMLElement,
    onDrain: (nodeId: string) => void,
  ) {
    this.rows = new KeyedRows(body, 'node-row', 'node-id', (_action, nodeId) => onDrain(nodeId));
  }

  /** Disables a node's Drain button while its request runs. */
  setPending(nodeId: string, pending: boolean): void {
    if (pending) this.pending.add(nodeId);
    else this.pending.delete(nodeId);
    const button = this.rows.button(nodeId, 'drain-node');
    if (button && pending) button.disabled = true;
  }

  render(nodes: readonly AdminNode[]): void {
    const sorted = [...nodes].sort((a, b) => a.nodeId.localeCompare(b.nodeId));
    this.empty.hidden = sorted.length > 0;
    this.rows.render(
      sorted.map((n) => {
        const state = n.alive ? n.state : 'lost';
        return {
          key: n.nodeId,
          attributes: { state, self: String(n.self) },
          cells: [
            { field: 'node', text: n.self ? `${n.nodeId} (this one)` : n.nodeId, testId: 'node-id', title: n.self ? 'the node that answered this page' : '' },
            { field: 'state', text: state, testId: 'node-state' },
            { field: 'media-address', text: n.mediaAddress, title: 'the address its ICE candidates carry' },
            { field: 'workers', text: String(n.workers), testId: 'node-workers' },
            { field: 'calls', text: String(n.calls), testId: 'node-calls' },
            { field: 'peers', text: String(n.peers), title: 'people seated in its calls' },
            { field: 'heartbeat', text: ago(n.at) },
            {
              field: 'drain',
              button: {
                label: 'Drain node',
                action: 'drain-node',
                testId: 'drain-node',
                disabled: state !== 'serving' || this.pending.has(n.nodeId),
                title: 'moves its calls to other nodes now (participants reconnect their media) and places no new call there',
              },
            },
          ],
        };
      }),
    );
  }
}
