import { z } from 'zod';
import { schemas } from './payload-schemas';

const INT32_MAX = 2_147_483_647;
type Found = { path: string; schema: z.ZodNumber };

/** Every number schema reachable from `schema`, with where it sits. */
function numbersIn(schema: z.ZodType, path: string, out: Found[] = []): Found[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const walk = (s: unknown, p: string) => numbersIn(s as z.ZodType, p, out);
  switch (def.type) {
    case 'number':
      out.push({ path, schema: schema as z.ZodNumber });
      break;
    case 'object':
      for (const [k, v] of Object.entries(def.shape as Record<string, unknown>)) walk(v, `${path}.${k}`);
      if (def.catchall) walk(def.catchall, `${path}.*`);
      break;
    case 'array':
      walk(def.element, `${path}[]`);
      break;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      walk(def.innerType, path);
      break;
    case 'union':
      (def.options as unknown[]).forEach((o, i) => walk(o, `${path}|${i}`));
      break;
    case 'enum':
    case 'string':
    case 'boolean':
    case 'unknown':
    case 'literal':
      break;
    default:
      throw new Error(`${path}: schema type ${def.type} not walked; teach this test about it`);
  }
  return out;
}

describe('payload schemas', () => {
  const all = Object.entries(schemas).flatMap(([name, s]) => numbersIn(s, name));

  it('finds the numbers (the walk reaches into nested objects and arrays)', () => {
    expect(all.map((n) => n.path)).toEqual(
      expect.arrayContaining(['statsReport.samples[].packetsLost', 'statsReport.samples[].freezeCount', 'produce.rtpParameters.codecs[].payloadType', 'sessionExtend.minutes']),
    );
  });

  it('bounds every number, and every integer within int32', () => {
    const unbounded = all.filter((n) => !Number.isFinite(n.schema.maxValue ?? Infinity) || !Number.isFinite(n.schema.minValue ?? -Infinity)).map((n) => n.path);
    expect(unbounded).toEqual([]);
    const wide = all.filter((n) => n.schema.isInt && (n.schema.maxValue! > INT32_MAX || n.schema.minValue! < -INT32_MAX - 1)).map((n) => n.path);
    expect(wide).toEqual([]);
  });

  it('refuses a stats:report whose counters would overflow an integer column', () => {
    const callId = '00000000-0000-4000-8000-000000000000';
    expect(schemas.statsReport.safeParse({ callId, samples: [{ packetsLost: 2 ** 31 }] }).success).toBe(false);
    expect(schemas.statsReport.safeParse({ callId, samples: [{ freezeCount: 1e12 }] }).success).toBe(false);
    expect(schemas.statsReport.safeParse({ callId, samples: [{ bitrateKbps: Infinity }] }).success).toBe(false);
    expect(schemas.statsReport.safeParse({ callId, samples: [{ packetsLost: 12, freezeCount: 3, jitter: 0.01 }] }).success).toBe(true);
  });
});
