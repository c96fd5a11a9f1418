import { CallParticipant, LiveCall } from './live-call';

describe('LiveCall state machine', () => {
  const call = () => new LiveCall('00000000-0000-4000-8000-000000000001', 'a', 'video', null);

  it('moves forward through initiated -> ringing -> active -> ended', () => {
    const c = call();
    expect(c.transition('ringing')).toBe(true);
    expect(c.transition('active')).toBe(true);
    expect(c.answeredAt).toBeInstanceOf(Date);
    expect(c.transition('ended', 'completed')).toBe(true);
    expect(c.status).toBe('ended');
    expect(c.endReason).toBe('completed');
  });

  it('refuses to go backwards or to end twice', () => {
    const c = call();
    c.transition('active');
    expect(c.transition('ringing')).toBe(false);
    expect(c.status).toBe('active');
    c.transition('ended', 'completed');
    expect(c.transition('ended', 'failed')).toBe(false);
    expect(c.endReason).toBe('completed');
  });

  it('computes duration from answer to end, zero when never answered', () => {
    const c = call();
    c.transition('ended', 'cancelled');
    expect(c.durationSeconds).toBe(0);
    const d = call();
    d.transition('active', undefined, new Date(1_000));
    d.transition('ended', 'completed', new Date(43_400));
    expect(d.durationSeconds).toBe(42);
  });
});

describe('CallParticipant state machine', () => {
  it('allows a seat to be restored within the grace but never leaves "left"', () => {
    const p = new CallParticipant('b', 'B', 'callee');
    expect(p.transition('ringing')).toBe(true);
    expect(p.transition('joined')).toBe(true);
    expect(p.transition('reconnecting')).toBe(true);
    expect(p.transition('joined')).toBe(true);
    expect(p.transition('left')).toBe(true);
    expect(p.transition('joined')).toBe(false);
    expect(p.state).toBe('left');
  });

  it('cannot go from joined back to ringing', () => {
    const p = new CallParticipant('b', 'B', 'callee');
    p.transition('joined');
    expect(p.transition('ringing')).toBe(false);
  });
});
