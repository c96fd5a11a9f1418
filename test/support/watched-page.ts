import type { BrowserContext, Page } from 'playwright-core';

/** A member of a page's debug hook as read from the test: a method's (awaited) result, else the property. */
type DebugValue<T> = T extends () => infer R ? Awaited<R> : T;

/**
 * A page in its own browser context that records its page errors and console errors/warnings and
 * exposes its read-only debug hook (`window[hook]`, of type `Debug`).
 */
export abstract class WatchedPage<Debug> {
  /** Page errors and console errors/warnings, printed after each test. */
  readonly problems: string[] = [];
  /** Console messages a test provokes on purpose (e.g. failed reconnects while offline). */
  readonly expectedProblems: RegExp[] = [];

  protected constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    /** A guest's id is only known once the server hands out their token (see `ClientPage.openGuest`). */
    public userId: string,
  ) {
    page.on('pageerror', (err) => this.problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error' && msg.type() !== 'warning') return;
      const text = `console.${msg.type()}: ${msg.text()}`;
      if (!this.expectedProblems.some((re) => re.test(text))) this.problems.push(text);
    });
  }

  protected abstract readonly hook: '__hearth' | '__hearthAdmin';

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
  }

  /** The debug hook's `key` (every method there takes no arguments). */
  protected read<K extends keyof Debug & string>(key: K): Promise<DebugValue<Debug[K]>> {
    return this.page.evaluate(
      async ({ hook, key }) => {
        const debug = (globalThis as unknown as Record<string, Record<string, unknown>>)[hook];
        const value = debug[key];
        return typeof value === 'function' ? await (value as () => unknown).call(debug) : value;
      },
      { hook: this.hook, key },
    ) as Promise<DebugValue<Debug[K]>>;
  }
}
