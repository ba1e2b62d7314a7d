// The package ships no types: its output is Prometheus's JSON exposition shape.
declare module 'parse-prometheus-text-format' {
  namespace parsePrometheusTextFormat {
    interface PrometheusMetricFamily {
      name: string;
      help: string;
      type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
      metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }[];
    }
  }
  function parsePrometheusTextFormat(text: string): parsePrometheusTextFormat.PrometheusMetricFamily[];
  export = parsePrometheusTextFormat;
}
