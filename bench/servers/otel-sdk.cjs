'use strict';
// Preload for the OpenTelemetry variant: the Node SDK with the http instrumentation only and a
// no-op span exporter (it counts the spans it is given, so the bench can check they were made).
// `node --require ./bench/servers/otel-sdk.cjs bench/servers/app.cjs http`
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');

globalThis.__benchSpanCount = 0;
const noopExporter = {
  export(spans, done) {
    globalThis.__benchSpanCount += spans.length;
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};

const sdk = new NodeSDK({
  serviceName: 'epdb-bench',
  traceExporter: noopExporter,
  instrumentations: [new HttpInstrumentation()],
});
sdk.start();
