// A horizontal bar chart: one labelled bar per value, the numbers written beside them.
export function Bars({ data, label }: { data: { name: string; value: number }[]; label: string }) {
  const most = Math.max(1, ...data.map((d) => d.value));
  const row = 26;
  return (
    <svg viewBox={`0 0 420 ${data.length * row + 4}`} width="100%" role="img" aria-label={label} className="bars">
      <title>{`${label}: ${data.map((d) => `${d.name} ${d.value}`).join(', ')}`}</title>
      {data.map((d, i) => (
        <g key={d.name} transform={`translate(0 ${i * row + 2})`}>
          <text x={0} y={16} className="bar-label">
            {d.name}
          </text>
          <rect x={150} y={3} height={18} width={Math.max(1, (d.value / most) * 230)} rx={3} className="bar" />
          <text x={156 + (d.value / most) * 230} y={16} className="bar-value">
            {d.value}
          </text>
        </g>
      ))}
    </svg>
  );
}
