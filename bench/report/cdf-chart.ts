import type { Chart } from '../scenario.js';
import { cdfPoints, sortedCopy } from '../stats.js';

const WIDTH = 760;
const HEIGHT = 420;
const MARGIN = { left: 56, right: 16, top: 36, bottom: 48 };
const LEGEND_ROW = 18;
/** Points per curve: enough for a smooth line, few enough for a small file. */
const POINTS = 400;
/** Okabe–Ito: colours that stay apart for colour-blind readers. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
/** Horizontal guides, as fractions of the samples. */
const GUIDES = [0.5, 0.99];

/**
 * A chart as an SVG cumulative distribution: x is the value on a log scale (latencies span
 * decades), y the fraction of samples at or below it, one line per series, with guides at the
 * median and p99. Self-contained markup, no script, no external font.
 */
export function cdfChartSvg(chart: Chart): string {
  const curves = chart.series
    .map((series) => ({ name: series.name, points: cdfPoints(sortedCopy(series.values), POINTS) }))
    .filter((curve) => curve.points.length > 0);
  const legendHeight = curves.length * LEGEND_ROW + 8;
  const height = HEIGHT + legendHeight;
  const plot = {
    left: MARGIN.left,
    top: MARGIN.top,
    width: WIDTH - MARGIN.left - MARGIN.right,
    height: HEIGHT - MARGIN.top - MARGIN.bottom,
  };
  // The axis starts at the lowest 1st percentile: a single early outlier would waste decades.
  const lows = curves
    .map((curve) => curve.points[Math.floor(POINTS / 100)]![0])
    .filter((v) => v > 0);
  const highs = curves.map((curve) => curve.points[POINTS - 1]![0]).filter((v) => v > 0);
  const lowDecade = Math.floor(Math.log10(lows.length > 0 ? Math.min(...lows) : 0.01));
  const floor = 10 ** lowDecade;
  // The axis ends at the first 1-2-5 step at or above the largest value.
  const ceiling = niceStepAtOrAbove(Math.max(floor * 10, ...highs));
  const span = Math.log10(ceiling) - lowDecade;
  const x = (value: number): number =>
    plot.left + ((Math.log10(Math.max(value, floor)) - lowDecade) / span) * plot.width;
  const y = (fraction: number): number => plot.top + (1 - fraction) * plot.height;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  // Labels at 2 and 5 too while they fit: up to four decades.
  const steps = span <= 4 ? [1, 2, 5] : [1];
  for (let decade = lowDecade; 10 ** decade <= ceiling; decade++) {
    for (const step of [1, 2, 5]) {
      const value = step * 10 ** decade;
      if (value > ceiling * 1.0001) break;
      const at = x(value).toFixed(1);
      const major = step === 1;
      parts.push(
        `<line x1="${at}" y1="${plot.top}" x2="${at}" y2="${plot.top + plot.height}" stroke="${major ? '#c8c8c8' : '#ececec'}"/>`,
      );
      if (steps.includes(step)) {
        parts.push(
          `<text x="${at}" y="${plot.top + plot.height + 16}" text-anchor="middle" fill="#444">${formatTick(value)}</text>`,
        );
      }
    }
  }
  for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
    const at = y(fraction).toFixed(1);
    parts.push(
      `<line x1="${plot.left}" y1="${at}" x2="${plot.left + plot.width}" y2="${at}" stroke="#e4e4e4"/>`,
      `<text x="${plot.left - 6}" y="${at}" dy="4" text-anchor="end" fill="#444">${fraction * 100}%</text>`,
    );
  }
  for (const fraction of GUIDES) {
    const at = y(fraction).toFixed(1);
    parts.push(
      `<line x1="${plot.left}" y1="${at}" x2="${plot.left + plot.width}" y2="${at}" stroke="#888" stroke-dasharray="4 3"/>`,
      `<text x="${plot.left + 4}" y="${at}" dy="-3" fill="#666">p${fraction * 100}</text>`,
    );
  }
  parts.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.width}" height="${plot.height}" fill="none" stroke="#888"/>`,
    `<text x="${plot.left + plot.width / 2}" y="${plot.top + plot.height + 36}" text-anchor="middle">${escapeXml(chart.axis)}, log scale</text>`,
    `<text transform="translate(14 ${plot.top + plot.height / 2}) rotate(-90)" text-anchor="middle">share of samples at or below</text>`,
  );
  curves.forEach((curve, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const path = curve.points
      .map(
        ([value, fraction], k) =>
          `${k === 0 ? 'M' : 'L'}${x(value).toFixed(1)},${y(fraction).toFixed(1)}`,
      )
      .join('');
    parts.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="1.8"/>`);
    const legendY = HEIGHT + i * LEGEND_ROW;
    parts.push(
      `<line x1="${plot.left}" y1="${legendY}" x2="${plot.left + 24}" y2="${legendY}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${plot.left + 32}" y="${legendY}" dy="4">${escapeXml(curve.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The smallest value of the form 1, 2 or 5 × 10^k that is at least `value` (> 0). */
function niceStepAtOrAbove(value: number): number {
  const decade = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((candidate) => candidate * decade >= value * 0.9999) ?? 10;
  return step * decade;
}

function formatTick(value: number): string {
  return value >= 1 ? String(Math.round(value)) : String(Number(value.toPrecision(1)));
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
