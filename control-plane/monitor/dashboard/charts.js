// The metric charts, drawn by uPlot (a global: the monitor serves it as a classic script that
// runs before this module). One chart per node figure, a series per node, and one for events.
import { $ } from './dom.js';

const PALETTE = ['#3b6fd8', '#e8710a', '#1e8e3e', '#c5221f', '#9334e6', '#12a4af', '#b06000', '#d01884', '#5f6368', '#188038'];
const colour = (i) => PALETTE[i % PALETTE.length];
/** Chart element id, the MetricPoint field it draws, its unit. */
const NODE_CHARTS = [
  ['chart-cpu', 'cpuPercent', '%'],
  ['chart-memory', 'rssMiB', 'MiB'],
  ['chart-rpc', 'rpcPerSecond', '/s'],
  ['chart-loop', 'eventLoopP99Ms', 'ms'],
];
/** uPlot instances by chart element id, with the series they were made for. */
const charts = new Map();

function chartSize(box) {
  return { width: Math.max(260, box.clientWidth), height: 180 };
}

function axisColours() {
  const css = getComputedStyle(document.documentElement);
  return { stroke: css.getPropertyValue('--muted').trim(), grid: css.getPropertyValue('--border').trim() };
}

/** Draws (or redraws) a chart; a new set of series means a new uPlot. */
function drawChart(id, seriesLabels, data, unit) {
  const box = $(id);
  // Moments with at least one value drawn (a series without data is all nulls).
  box.dataset.points = String(data[0].filter((_x, i) => data.slice(1).some((series) => series[i] !== null && series[i] !== undefined)).length);
  const signature = seriesLabels.join('|');
  let entry = charts.get(id);
  if (entry && entry.signature !== signature) {
    entry.plot.destroy();
    entry = undefined;
  }
  if (!entry) {
    const { stroke, grid } = axisColours();
    const axis = { stroke, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const plot = new uPlot(
      {
        ...chartSize(box),
        scales: { x: { time: true } },
        axes: [axis, { ...axis, size: 72, values: (_u, ticks) => ticks.map((v) => `${v}${unit === '/s' ? '' : ' '}${unit}`) }],
        series: [
          {},
          ...seriesLabels.map((label, i) => ({
            label,
            stroke: colour(i),
            width: 1.5,
            spanGaps: false,
            value: (_u, v) => (v === null || v === undefined ? '–' : `${v} ${unit}`),
          })),
        ],
        legend: { live: true },
      },
      data,
      box,
    );
    entry = { plot, signature };
    charts.set(id, entry);
  } else {
    entry.plot.setData(data);
  }
}

/** Draws the charts from the history (MetricPoints, oldest first); nothing until uPlot and a point are there. */
export function renderCharts(history) {
  if (typeof uPlot === 'undefined' || history.length === 0) return;
  const x = history.map((p) => p.atMs / 1000);
  const ids = [...new Set(history.flatMap((p) => Object.keys(p.nodes)))].sort();
  for (const [id, field, unit] of NODE_CHARTS) {
    drawChart(id, ids, [x, ...ids.map((node) => history.map((p) => (p.nodes[node] ? p.nodes[node][field] : null)))], unit);
  }
  drawChart(
    'chart-events',
    ['backlog (events)', 'processed (events/s)'],
    [x, history.map((p) => p.backlog ?? null), history.map((p) => p.eventsPerSecond ?? null)],
    '',
  );
}

/** Resizes the charts with the window. */
export function fitChartsToWindow() {
  window.addEventListener('resize', () => {
    for (const [id, { plot }] of charts) plot.setSize(chartSize($(id)));
  });
}
