import { ServerError, httpError } from '../errors';
import type { AdminCall, AdminNode, AdminWorker, AuditPage, DrainResult, NodeDrainResult } from './types';

/** The admin REST API with a bearer token. Failures throw ServerError with the server's code (UNAUTHORIZED, FORBIDDEN, …). */
export class AdminApi {
  constructor(private readonly token: string) {}

  workers(): Promise<AdminWorker[]> {
    return this.send('GET', '/api/admin/workers');
  }

  calls(): Promise<AdminCall[]> {
    return this.send('GET', '/api/admin/calls');
  }

  nodes(): Promise<AdminNode[]> {
    return this.send('GET', '/api/admin/nodes');
  }

  drainNode(nodeId: string): Promise<NodeDrainResult> {
    return this.send('POST', `/api/admin/nodes/${encodeURIComponent(nodeId)}/drain`);
  }

  addWorker(): Promise<AdminWorker> {
    return this.send('POST', '/api/admin/workers');
  }

  drainWorker(pid: number, migrate: boolean): Promise<DrainResult> {
    return this.send('POST', `/api/admin/workers/${pid}/drain?migrate=${migrate}`);
  }

  endCall(callId: string): Promise<Record<string, never>> {
    return this.send('POST', `/api/admin/calls/${encodeURIComponent(callId)}/end`);
  }

  /** The operator audit log, newest first; `before` is the previous page's nextCursor. */
  audit(limit: number, before?: string): Promise<AuditPage> {
    const q = new URLSearchParams({ limit: String(limit), ...(before ? { before } : {}) });
    return this.send('GET', `/api/admin/audit?${q}`);
  }

  private async send<T>(method: 'GET' | 'POST', path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, { method, headers: { authorization: `Bearer ${this.token}` } });
    } catch (err) {
      throw new ServerError('NETWORK', `could not reach the server (${String(err)})`);
    }
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) throw httpError(res, body, `${method} ${path} failed`);
    return body as T;
  }
}
