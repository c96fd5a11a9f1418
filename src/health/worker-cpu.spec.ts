import { SlotCpuTotals } from './worker-cpu';

describe('SlotCpuTotals', () => {
  it('grows by what each reading adds', () => {
    const t = new SlotCpuTotals();
    expect(t.observe(0, 100, 50)).toBe(50);
    expect(t.observe(0, 100, 80)).toBe(30);
    expect(t.observe(0, 100, 80)).toBe(0);
  });

  it('continues a slot across a replacement worker instead of starting again from 0', () => {
    const t = new SlotCpuTotals();
    const totals: number[] = [];
    let sum = 0;
    const read = (pid: number, ms: number) => totals.push((sum += t.observe(0, pid, ms)));
    read(100, 40);
    read(100, 90);
    read(200, 5); // pid 100 died; its replacement has used 5 ms so far
    read(200, 25);
    read(300, 0); // the next replacement, not sampled yet
    read(300, 10);
    expect(totals).toEqual([40, 90, 95, 115, 115, 125]);
  });

  it('never goes down when a worker has no reading yet or an older one', () => {
    const t = new SlotCpuTotals();
    t.observe(1, 7, 100);
    expect(t.observe(1, 7, 0)).toBe(0);
    expect(t.observe(1, 7, 60)).toBe(0);
    expect(t.observe(1, 7, 130)).toBe(30);
  });

  it('keeps slots apart', () => {
    const t = new SlotCpuTotals();
    expect(t.observe(0, 1, 10)).toBe(10);
    expect(t.observe(1, 2, 20)).toBe(20);
    expect(t.observe(0, 3, 5)).toBe(5);
    expect(t.observe(1, 2, 25)).toBe(5);
  });
});
