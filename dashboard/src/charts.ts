/** The two chart shapes the reports need, drawn with uPlot (small, canvas, no inline styles or scripts). */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.js';
import { shortDate } from './format.js';

export const PALETTE = ['#2563eb', '#16a34a', '#ea580c', '#9333ea', '#0891b2', '#dc2626', '#ca8a04', '#4b5563'];

const charts = new Set<uPlot>();

function widthOf(container: HTMLElement): number {
  return Math.max(280, Math.floor(container.getBoundingClientRect().width) - 8);
}

/** Charts follow their container's width. */
const resizer = new ResizeObserver((entries) => {
  for (const entry of entries) {
    for (const chart of charts) {
      if (chart.root.parentElement === entry.target) chart.setSize({ width: widthOf(entry.target as HTMLElement), height: chart.height });
    }
  }
});

function mount(container: HTMLElement, options: uPlot.Options, data: uPlot.AlignedData): uPlot {
  for (const chart of charts) {
    if (chart.root.parentElement === container) {
      chart.destroy();
      charts.delete(chart);
    }
  }
  container.textContent = '';
  const chart = new uPlot({ ...options, width: widthOf(container) }, data, container);
  charts.add(chart);
  resizer.observe(container);
  return chart;
}

/** About how wide a label is drawn in uPlot's default 12px axis font, in pixels. */
const LABEL_PX_PER_CHAR = 7;

/** Vertical bars, one per label (top channels by revenue). */
export function barChart(container: HTMLElement, labels: string[], values: number[], name: string, format: (value: number) => string): void {
  const xs = labels.map((_, index) => index);
  // Labels wider than their bar's slot would run into each other ("Paid SearchOrganic Search"):
  // then they are slanted, with room below for the longest one.
  const slot = (widthOf(container) - 90) / Math.max(labels.length, 1);
  const longest = Math.max(0, ...labels.map((label) => label.length)) * LABEL_PX_PER_CHAR;
  const slanted = longest > slot - 8;
  const labelAxis: uPlot.Axis = slanted ? { rotate: -35, size: Math.ceil(longest * Math.sin(Math.PI / 180 * 35)) + 24 } : {};
  mount(
    container,
    {
      width: 600,
      height: 260,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: { x: { time: false, range: [-0.6, labels.length - 0.4] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { splits: () => xs, values: (_u, splits) => splits.map((split) => labels[split] ?? ''), gap: 6, grid: { show: false }, ...labelAxis },
        { values: (_u, splits) => splits.map((split) => format(split)), size: 90 },
      ],
      series: [
        {},
        {
          label: name,
          fill: `${PALETTE[0]}cc`,
          stroke: PALETTE[0],
          paths: uPlot.paths.bars!({ size: [0.6, 80], align: 0 }),
          points: { show: false },
        },
      ],
    },
    [xs, values],
  );
}

/** Lines over dates (YYYY-MM-DD), one per series, with a legend. */
export function lineChart(container: HTMLElement, dates: string[], series: Array<{ name: string; values: number[] }>, dateLabel: string): void {
  const xs = dates.map((date) => Date.parse(`${date}T00:00:00Z`) / 1000);
  mount(
    container,
    {
      width: 600,
      height: 240,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        // Whole days only: the reports count by day or week, never by hour.
        { incrs: [86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 28 * 86_400], values: (_u, splits) => splits.map((split) => shortDate(split)) },
        // Counts: whole numbers on the axis.
        { size: 50, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000] },
      ],
      series: [
        { label: dateLabel, value: (_u, value) => (value === null ? '—' : shortDate(value)) },
        ...series.map((item, index) => ({
          label: item.name,
          stroke: PALETTE[index % PALETTE.length]!,
          width: 2,
          points: { show: dates.length <= 31 },
        })),
      ],
    },
    [xs, ...series.map((item) => item.values)],
  );
}

/** A placeholder where a chart would be, saying why there is none. */
export function chartEmpty(container: HTMLElement, message: string): void {
  for (const chart of charts) {
    if (chart.root.parentElement === container) {
      chart.destroy();
      charts.delete(chart);
    }
  }
  container.textContent = '';
  container.appendChild(h('p', { class: 'lf-empty' }, message));
}
