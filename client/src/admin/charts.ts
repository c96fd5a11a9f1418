import { BarController, BarElement, CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';
import type { CpuHistory } from './cpu-history';
import type { CpuSeriesView, LoadBarView } from './debug-api';
import type { AdminWorker } from './types';

// Only what the two charts use, so the bundle carries no other controllers, elements or plugins.
Chart.register(LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const PALETTE = ['#2f6f5e', '#c0603a', '#3a62c0', '#a4407d', '#7a8a2a', '#6a4fb0', '#2a8a8a', '#b08a2a'];

/** A stable colour per worker pid, shared by both charts. */
export function workerColour(pid: number): string {
  return PALETTE[pid % PALETTE.length];
}

const label = (pid: number) => `pid ${pid}`;
const pidOf = (datasetLabel: string | undefined) => Number(datasetLabel?.replace(/^pid /, ''));

/** CPU % per worker over time: a line per pid, updated in place (no animation). */
export class CpuChart {
  readonly chart: Chart<'line', (number | null)[], string>;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        spanGaps: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { ticks: { maxTicksLimit: 8, autoSkip: true } },
          y: { beginAtZero: true, suggestedMax: 100, title: { display: true, text: '% of one core' } },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    });
  }

  update(history: CpuHistory): void {
    const { data } = this.chart;
    data.labels = [...history.labels];
    const pids = history.pids();
    data.datasets = data.datasets.filter((d) => pids.includes(pidOf(d.label)));
    for (const pid of pids) {
      let dataset = data.datasets.find((d) => d.label === label(pid));
      if (!dataset) {
        const colour = workerColour(pid);
        dataset = { label: label(pid), data: [], borderColor: colour, backgroundColor: colour, pointRadius: 0, borderWidth: 2, tension: 0.2 };
        data.datasets.push(dataset);
      }
      dataset.data = [...history.values(pid)];
    }
    this.chart.update('none');
  }

  samples(): number {
    return this.chart.data.labels?.length ?? 0;
  }

  series(): CpuSeriesView[] {
    return this.chart.data.datasets.map((d) => ({ pid: pidOf(d.label), points: d.data.length, last: d.data.at(-1) ?? null }));
  }
}

/** Consumers and producers per worker right now: a bar group per pid. */
export class LoadChart {
  readonly chart: Chart<'bar', number[], string>;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, {
      type: 'bar',
      data: {
        labels: [],
        datasets: [
          { label: 'consumers', data: [], backgroundColor: '#2f6f5e' },
          { label: 'producers', data: [], backgroundColor: '#c0603a' },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: 'bottom' } },
      },
    });
  }

  update(workers: readonly AdminWorker[]): void {
    const sorted = [...workers].sort((a, b) => a.pid - b.pid);
    const [consumers, producers] = this.chart.data.datasets;
    this.chart.data.labels = sorted.map((w) => label(w.pid));
    consumers.data = sorted.map((w) => w.consumers);
    producers.data = sorted.map((w) => w.producers);
    this.chart.update('none');
  }

  bars(): LoadBarView[] {
    const [consumers, producers] = this.chart.data.datasets;
    return (this.chart.data.labels ?? []).map((l, i) => ({ pid: pidOf(l), consumers: consumers.data[i] ?? 0, producers: producers.data[i] ?? 0 }));
  }
}
