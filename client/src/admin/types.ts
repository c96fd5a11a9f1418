/**
 * The admin REST API's shapes, as they arrive over JSON (dates are ISO strings): the server's
 * own types through `Json`. Types only and no DOM types, so the Node-side tests can import them too.
 */
import type { AdminCall as ServerAdminCall, AdminNode, AdminParticipant, DrainResult, Json, NodeDrainResult } from '../../../src/signaling/catalogue';
import type { AuditEntry as ServerAuditEntry, AuditPage as ServerAuditPage } from '../../../src/audit/audit.port';

/** `GET /api/admin/workers`: one media worker (the server's own type). */
export type { WorkerStats as AdminWorker } from '../../../src/media/media.types';
export type { AdminParticipant, DrainResult, NodeDrainResult };

/** `GET /api/admin/nodes`: one gateway node (its dates are already ISO strings). */
export type { AdminNode };

/** `GET /api/admin/calls`: one live call. */
export type AdminCall = Json<ServerAdminCall>;

/** `GET /api/admin/audit`: one operator action, and a page of them (newest first). */
export type AuditEntry = Json<ServerAuditEntry>;
export type AuditPage = Json<ServerAuditPage>;
