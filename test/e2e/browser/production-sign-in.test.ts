/**
 * Sign-in as a production server does it: no dev token route, the embedding app hands the
 * sample client and the admin page a token in the URL fragment.
 */
import { SignJWT } from 'jose';
import { browserSuite, uniqueUser, WAIT_MS } from '../../support/browser';

describe('browser: production sign-in (token handed over in the URL fragment)', () => {
  const suite = browserSuite({ NODE_ENV: 'production' });
  const mint = (sub: string, role: 'member' | 'host' | 'admin', exp: number | string = '1h') =>
    new SignJWT({ sub, name: `Name of ${sub}`, role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(suite.t.config.JWT_SECRET));

  it('two members signed in by token call each other; the token leaves the address bar and survives a reload', async () => {
    const aliceId = uniqueUser('alice');
    const bobId = uniqueUser('bob');
    const alice = await suite.openWithToken(aliceId, await mint(aliceId, 'member'));
    const bob = await suite.openWithToken(bobId, await mint(bobId, 'member'));
    for (const p of [alice, bob]) expect(p.page.url()).not.toContain('token');
    await bob.page.reload();
    await bob.waitForState('ready');
    await alice.call([bobId], 'video');
    await bob.answer();
    await Promise.all([alice.waitForDecodedVideo(1), bob.waitForDecodedVideo(1)]);
  });

  it('the name form says how to sign in instead of asking the absent dev token route', async () => {
    const page = await suite.openBare('/');
    await page.getByTestId('name-input').fill('Mallory');
    await page.getByTestId('user-id-input').fill('mallory');
    await page.getByTestId('connect').click();
    const error = page.getByTestId('error');
    await error.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await error.getAttribute('data-code')).toBe('NO_DEV_TOKENS');
    expect(await error.textContent()).toContain('#token=');
  });

  it('an expired token is refused with its reason and forgotten', async () => {
    const page = await suite.openBare(`/#token=${await mint('late', 'member', Math.floor(Date.now() / 1000) - 60)}`);
    const error = page.getByTestId('error');
    await error.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await error.getAttribute('data-code')).toBe('UNAUTHORIZED');
    expect(page.url()).not.toContain('token');
    await page.reload();
    await page.getByTestId('sign-in').waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await page.getByTestId('error').isHidden()).toBe(true);
  });

  it('the admin page takes an admin token from /admin.html#token= and refuses a member one', async () => {
    const admin = await suite.openBare(`/admin.html#token=${await mint('ops', 'admin')}`);
    await admin.waitForFunction(() => (globalThis as unknown as { __hearthAdmin: { refreshes: number } }).__hearthAdmin.refreshes >= 1, undefined, { timeout: WAIT_MS });
    expect(admin.url()).not.toContain('token');
    const member = await suite.openBare(`/admin.html#token=${await mint('not-ops', 'member')}`);
    const error = member.getByTestId('admin-error');
    await error.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await error.getAttribute('data-code')).toBe('FORBIDDEN');
  });
});
