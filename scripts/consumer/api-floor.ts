// Type-checked against the lowest @opentelemetry/api the tracer's peer range allows (see api-floor.mjs).
import { trace, type Tracer } from "@opentelemetry/api";
import { OpenTelemetryTracer, type OpenTelemetryTracerOptions } from "@hamilton-ts/opentelemetry";

const tracer: Tracer = trace.getTracer("floor");
const options: OpenTelemetryTracerOptions = { tracer, runAttributes: () => ({ "app.tenant": "t1" }) };
export const adapter = new OpenTelemetryTracer(options);
