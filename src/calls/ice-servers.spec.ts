import { createHmac } from 'node:crypto';
import { iceServersFor, mintTurnCredentials } from './ice-servers';

describe('TURN REST credentials', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0, 0);

  it('mints coturn use-auth-secret credentials: expiry:userId signed with HMAC-SHA1', () => {
    const { username, credential } = mintTurnCredentials('s3cret', 'alice', 3600, now);
    expect(username).toBe(`${now / 1000 + 3600}:alice`);
    // Known answer, computed independently of the implementation's helper.
    expect(credential).toBe(createHmac('sha1', 's3cret').update(`${now / 1000 + 3600}:alice`).digest('base64'));
    expect(Buffer.from(credential, 'base64')).toHaveLength(20);
  });

  it('puts the minted entry first, then the static ones', () => {
    const list = iceServersFor('bob', { urls: ['turn:t.example:3478', 'turns:t.example:5349'], secret: 'k', ttlSeconds: 60 }, [{ urls: 'stun:s.example' }], now);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ urls: ['turn:t.example:3478', 'turns:t.example:5349'], username: `${now / 1000 + 60}:bob` });
    expect(list[1]).toEqual({ urls: 'stun:s.example' });
  });

  it('mints nothing without TURN settings', () => {
    expect(iceServersFor('bob', { urls: [], ttlSeconds: 60 }, [], now)).toEqual([]);
  });
});
