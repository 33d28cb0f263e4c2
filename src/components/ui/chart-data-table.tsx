/**
 * A chart's numbers as a table for screen readers: the chart itself is a picture to them
 * (role="img" with a label), this is its text alternative. Visually hidden.
 */
export function ChartDataTable({
  caption,
  columns,
  rows,
  testId,
}: {
  caption: string;
  columns: readonly string[];
  /** Each row: its label (the row header), then one cell per remaining column. */
  rows: readonly (readonly string[])[];
  testId?: string;
}) {
  return (
    // The wrapper is what is hidden: a table is never narrower than its content, even "sr-only".
    <div className="sr-only">
    <table data-testid={testId}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>
            <th scope="row">{row[0]}</th>
            {row.slice(1).map((cell, j) => (
              <td key={j}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

/** Recharts legend entries in the text colour (series colours are too light as text). */
export function legendText(value: unknown) {
  return <span className="text-zinc-700 dark:text-zinc-300">{String(value)}</span>;
}
