import type { Page } from 'playwright-core';
import { devToken } from '../../support/app';
import { browserSuite, eventually, uniqueUser } from '../../support/browser';

/** The strict policy that is coming: nothing inline, nothing from elsewhere. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'";

/**
 * The admin page's audit table, under a strict Content-Security-Policy: actions taken on the
 * page show up with their actor, newest first, and the page breaks no rule of the policy.
 */
describe('browser: admin page audit log', () => {
  const suite = browserSuite({ MEDIASOUP_NUM_WORKERS: '1' });

  it('shows the latest operator actions with actor, action, target and outcome, under script-src self', async () => {
    const userId = uniqueUser('auditor');
    const token = await devToken(suite.t.url, userId, 'Auditor', 'admin');
    const page: Page = await suite.openBare('/health/live');
    const violations: string[] = [];
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.exposeFunction('__cspViolation', (v: string) => violations.push(v));
    await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(e.violatedDirective + ' ' + e.blockedURI))" });
    await page.route('**/admin.html', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CSP } });
    });
    await page.goto(`${suite.t.url}/admin.html#token=${token}`);
    await page.waitForFunction(() => ((globalThis as unknown as { __hearthAdmin?: { refreshes: number } }).__hearthAdmin?.refreshes ?? 0) >= 1, undefined, { timeout: 10_000, polling: 100 });

    const mine = () =>
      page.locator('[data-testid="audit-row"]').evaluateAll(
        (rows, actor) =>
          rows
            .map((r) => ({
              action: r.querySelector('[data-testid="audit-action"]')?.textContent,
              actor: r.querySelector('[data-testid="audit-actor"]')?.textContent,
              target: r.querySelector('[data-testid="audit-target"]')?.textContent,
              outcome: r.querySelector('[data-testid="audit-outcome"]')?.textContent,
            }))
            .filter((r) => r.actor === actor),
        userId,
      );
    await page.getByTestId('add-worker').click();
    const rows = await eventually(mine, (r) => r.length === 1, 10_000, 'the add in the audit table');
    const pid = Number(rows[0].target);
    expect(rows[0]).toEqual({ action: 'worker.add', actor: userId, target: String(pid), outcome: 'ok' });
    expect(await page.getByTestId('audit-empty').isHidden()).toBe(true);

    await page.locator(`[data-testid="worker-row"][data-pid="${pid}"]`).getByTestId('drain').click();
    const after = await eventually(mine, (r) => r.length === 2, 10_000, 'the drain in the audit table');
    expect(after.map((r) => [r.action, r.target])).toEqual([
      ['worker.drain', String(pid)],
      ['worker.add', String(pid)],
    ]);

    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
  });
});
