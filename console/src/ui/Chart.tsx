import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  fill?: boolean;
}

// A uPlot line chart over time (x = unix seconds). Canvas drawing: no data reaches the DOM
// as markup, and uPlot sets its sizes through the CSSOM, which the CSP allows.
export function TimeChart(props: { x: number[]; series: ChartSeries[]; height?: number; testId?: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = el.current;
    if (!host) return;
    const width = Math.max(200, host.clientWidth);
    const opts: uPlot.Options = {
      width,
      height: props.height ?? 220,
      scales: { x: { time: true } },
      axes: [{}, { size: 60 }],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          ...(s.fill ? { fill: `${s.color}22` } : {}),
          points: { show: props.x.length < 60 },
        })),
      ],
    };
    const plot = new uPlot(opts, [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData, host);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, host.clientWidth), height: props.height ?? 220 }));
    ro.observe(host);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [props.x, props.series, props.height]);
  return <div class="chart" ref={el} data-testid={props.testId} />;
}
