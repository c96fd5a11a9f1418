import type { Browser, Locator } from 'playwright-core';
import type { HearthAdminDebug } from '../../client/src/admin/debug-api';
import { WAIT_MS } from './chromium';
import { WatchedPage } from './watched-page';

type AdminWindow = typeof globalThis & { __hearthAdmin: HearthAdminDebug };

/**
 * The operators' page (`/admin.html`) in its own browser context, signed in with a dev token of
 * `role`, read through the page and `window.__hearthAdmin`.
 */
export class AdminPage extends WatchedPage<HearthAdminDebug> {
  protected readonly hook = '__hearthAdmin';

  /** Opens the page; signs in unless `signIn` is false (e.g. to expect an error first). */
  static async open(browser: Browser, baseUrl: string, userId: string, opts: { role?: 'admin' | 'member'; signIn?: boolean } = {}): Promise<AdminPage> {
    const context = await browser.newContext();
    const admin = new AdminPage(context, await context.newPage(), userId);
    await admin.page.goto(`${baseUrl}/admin.html`);
    if (opts.signIn !== false) await admin.signIn(opts.role ?? 'admin');
    return admin;
  }

  /** Fills in the sign-in form and submits it; for an admin, waits for the dashboard's first refresh. */
  async signIn(role: 'admin' | 'member'): Promise<void> {
    await this.page.getByTestId('admin-name').fill(`Operator ${this.userId}`);
    await this.page.getByTestId('admin-user-id').fill(this.userId);
    await this.page.getByTestId('admin-role').selectOption(role);
    await this.page.getByTestId('admin-connect').click();
    if (role === 'admin') await this.waitForRefreshes(1);
  }

  readonly state = () => this.read('state');
  readonly refreshes = () => this.read('refreshes');
  readonly nodes = () => this.read('nodes');
  readonly workers = () => this.read('workers');
  readonly calls = () => this.read('calls');

  /** Samples on the CPU chart's time axis, read from the Chart.js instance. */
  readonly cpuSamples = () => this.read('cpuSamples');
  readonly cpuSeries = () => this.read('cpuSeries');
  readonly loadBars = () => this.read('loadBars');

  /** The pids of the worker table's rows, in table order. */
  async workerRowPids(): Promise<number[]> {
    const pids = await this.page.getByTestId('worker-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pid')));
    return pids.map(Number);
  }

  workerRow(pid: number): Locator {
    return this.page.locator(`[data-testid="worker-row"][data-pid="${pid}"]`);
  }

  nodeRow(nodeId: string): Locator {
    return this.page.locator(`[data-testid="node-row"][data-node-id="${nodeId}"]`);
  }

  callRow(callId: string): Locator {
    return this.page.locator(`[data-testid="call-row"][data-call-id="${callId}"]`);
  }

  async waitForRefreshes(n: number, timeout = WAIT_MS): Promise<void> {
    await this.page.waitForFunction((min) => (globalThis as AdminWindow).__hearthAdmin.refreshes >= min, n, { timeout, polling: 50 });
  }
}
