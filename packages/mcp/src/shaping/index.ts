/** Result shaping (RS-5): row filtering and field redaction after the handler. */
export { createResultShaper, type CedarCheck, type FieldRedaction, type ShapeContext, type ShaperOptions, type TypeShaping } from './shaper.ts';
export { withoutFields } from './fields.ts';
