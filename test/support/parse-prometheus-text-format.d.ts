// The package ships no types: its output is Prometheus's JSON exposition shape.
declare module 'parse-prometheus-text-format' {
  interface PrometheusMetricFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }[];
  }
  function parsePrometheusTextFormat(text: string): PrometheusMetricFamily[];
  export = parsePrometheusTextFormat;
}
