import type { AppConfig } from '../config/app-config';
import type { CallHistoryService } from '../calls/call-history.service';
import type { CallLogWriter } from '../calls/call-log-writer';
import type { CallMediaService } from '../calls/call-media.service';
import type { CallRegistry } from '../calls/call-registry';
import type { Actor } from '../calls/ports';
import type { MediaPort } from '../media/media.port';
import type { QualitySampleRow, QualityStore } from './ports';
import { QualityService, storable } from './quality.service';

const INT32_MAX = 2_147_483_647;
const call = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A store that refuses, like PostgreSQL, any statement holding a row it cannot take; records what it wrote. */
function setup(refuse: (r: QualitySampleRow) => boolean = () => false) {
  const written: QualitySampleRow[] = [];
  let statements = 0;
  const store: QualityStore = {
    append: jest.fn(async (rows: QualitySampleRow[]) => {
      statements++;
      if (rows.some(refuse)) throw new Error('insert or update on table "call_quality_samples" violates foreign key constraint');
      written.push(...rows);
    }),
    summary: jest.fn(),
  };
  const registry = { liveCalls: jest.fn(() => []) } as unknown as CallRegistry;
  const seats = { assertSeated: jest.fn() } as unknown as CallMediaService;
  const writer = { flush: jest.fn(async () => undefined) } as unknown as CallLogWriter;
  const media = { qualitySamples: jest.fn(async () => []) } as unknown as MediaPort;
  const config = { QUALITY_SAMPLE_SECONDS: 10 } as AppConfig;
  const svc = new QualityService(config, registry, seats, writer, {} as CallHistoryService, media, store);
  return { svc, written, statements: () => statements };
}

const actor = (userId: string): Actor => ({ userId, name: userId, role: 'member', socketId: `${userId}-s` }) as unknown as Actor;

describe('QualityService', () => {
  afterEach(() => jest.useRealTimers());

  it('stores what an int32 or float4 column cannot hold as unknown (null), and keeps the rest', () => {
    const row = storable({
      callId: call(1), userId: 'u', at: new Date(), origin: 'client', kind: 'audio', direction: 'recv',
      packetsLost: 1e15, freezes: -1e15, fractionLost: Number.NaN, jitterMs: Infinity, rttMs: 1e300, bitrateKbps: 12.5, score: null, scoreMin: 7,
    });
    expect(row).toMatchObject({ packetsLost: null, freezes: null, fractionLost: null, jitterMs: null, rttMs: null, bitrateKbps: 12.5, score: null, scoreMin: 7 });
    expect(storable({ ...row, packetsLost: INT32_MAX, freezes: -3, rttMs: 3e38 })).toMatchObject({ packetsLost: INT32_MAX, freezes: -3, rttMs: 3e38 });
  });

  it('writes a period in one statement when nothing is refused', async () => {
    const { svc, written, statements } = setup();
    for (let i = 1; i <= 5; i++) svc.clientReport(actor(`u${i}`), { callId: call(i), samples: [{ packetsLost: i }, { freezeCount: i }] });
    await svc.flush();
    expect(written).toHaveLength(10);
    expect(statements()).toBe(1);
  });

  it('drops only the call whose rows are refused; the other calls are written', async () => {
    const { svc, written, statements } = setup((r) => r.callId === call(3));
    for (let i = 1; i <= 8; i++) svc.clientReport(actor(`u${i}`), { callId: call(i), samples: [{ packetsLost: i }, { jitter: 0.01 }] });
    await svc.flush();
    expect([...new Set(written.map((r) => r.callId))].sort()).toEqual([1, 2, 4, 5, 6, 7, 8].map(call));
    expect(written).toHaveLength(14);
    expect(statements()).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(8)));
  });

  it('takes a database that refuses everything for an outage: three statements, then the error', async () => {
    const { svc, written, statements } = setup(() => true);
    for (let i = 1; i <= 50; i++) svc.clientReport(actor(`u${i}`), { callId: call(i), samples: [{ packetsLost: 1 }] });
    await expect(svc.flush()).rejects.toThrow(/foreign key/);
    expect(written).toEqual([]);
    expect(statements()).toBe(3);
  });

  it('forgets who reported once the one-second window is over, at the next sampling pass', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { svc } = setup();
    for (let i = 0; i < 100; i++) svc.clientReport(actor(`u${i}`), { callId: call(1), samples: [] });
    expect(() => svc.clientReport(actor('u0'), { callId: call(1), samples: [] })).toThrow(/once per second/);
    const tracked = () => (svc as unknown as { lastReport: Map<string, number> }).lastReport.size;
    expect(tracked()).toBe(100);
    jest.setSystemTime(1_000_500);
    svc.clientReport(actor('late'), { callId: call(1), samples: [] });
    await svc.tick();
    expect(tracked()).toBe(101); // all within the window still
    jest.setSystemTime(1_001_200);
    await svc.tick();
    expect(tracked()).toBe(1); // only "late" (700 ms ago)
    jest.setSystemTime(1_001_600);
    await svc.tick();
    expect(tracked()).toBe(0);
    svc.clientReport(actor('u0'), { callId: call(1), samples: [] }); // allowed again
  });
});
