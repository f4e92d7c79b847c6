/** How a column's cells line up. */
export type Align = 'left' | 'right';

/** A table of the report, already formatted to strings. */
export interface Table {
  readonly header: readonly string[];
  readonly align: readonly Align[];
  readonly rows: readonly (readonly string[])[];
}

/** A table as markdown, with padded, aligned columns: the layout `biome format` gives it. */
export function markdownTable(table: Table): string[] {
  const { header, align, rows } = table;
  const widths = header.map((cell, i) =>
    Math.max(3, cell.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${widths
      .map((width, i) =>
        align[i] === 'right' ? (cells[i] ?? '').padStart(width) : (cells[i] ?? '').padEnd(width),
      )
      .join(' | ')} |`;
  const rule = `| ${widths
    .map((width, i) => (align[i] === 'right' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width)))
    .join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)];
}

/** Ops per second as a whole number with thousands separators. */
export function formatOps(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–';
}

/** Milliseconds with three decimals below 10 ms, one above. */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value < 10 ? value.toFixed(3) : value.toFixed(1);
}

/** A ratio such as `1.15×`. */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '–';
}

/** The verdict cell of a target column. */
export function formatVerdict(met: boolean): string {
  return met ? 'met' : '**missed**';
}
