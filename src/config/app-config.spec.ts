import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('boots with no environment at all, on embedded defaults', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.jwtSecretGenerated).toBe(true);
    expect(c.JWT_SECRET).toMatch(/^[0-9a-f]{64}$/);
    expect(c.RING_TIMEOUT_SECONDS).toBe(30);
    expect(c.RECONNECT_GRACE_SECONDS).toBe(60);
    expect(c.ICE_SERVERS).toEqual([]);
    expect(c.MEDIASOUP_NUM_WORKERS).toBeGreaterThanOrEqual(1);
  });

  it('coerces numbers and parses ICE servers', () => {
    const c = loadConfig({ PORT: '4000', ICE_SERVERS: '[{"urls":"turn:turn.example.org","username":"u","credential":"p"}]' });
    expect(c.PORT).toBe(4000);
    expect(c.ICE_SERVERS[0].username).toBe('u');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '  ' }).DATABASE_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ ICE_SERVERS: '{nope' }, 'ICE_SERVERS'],
    [{ RTC_MIN_PORT: '50000', RTC_MAX_PORT: '40000' }, 'RTC_MIN_PORT'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'short' }, 'JWT_SECRET'],
  ])('refuses %j naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });
});
