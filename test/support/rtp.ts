/** A minimal RTP packet (version 2, no extensions) with a filler payload, for injecting into PlainTransports. */
export function rtpPacket(seq: number, ts: number, ssrc: number, payloadType: number, payloadBytes = 40): Buffer {
  const b = Buffer.alloc(12 + payloadBytes, 0xab);
  b[0] = 0x80;
  b[1] = payloadType;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(ssrc >>> 0, 8);
  return b;
}
