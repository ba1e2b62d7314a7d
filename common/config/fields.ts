// The config is one zod 4 schema: of the three schema libraries (zod, valibot, arktype) zod is
// the best kept, and zod 4 has `z.toJSONSchema()` built in, so deploy/cluster.schema.json and
// docs/configuration.md come from the same definition with no second library.
import { z } from 'zod';

/**
 * What a field's doc says beyond its type and limits; `z.toJSONSchema()` copies it into the JSON
 * Schema, where the generated reference reads it.
 */
export interface FieldMeta {
  /** What the field means (the JSON Schema's description). */
  description: string;
  /** Unit of a number: ms, percent, events… */
  unit?: string;
  /** A default that depends on other fields, in words ("port + 1000"). */
  defaultText?: string;
  /** Why the field is accepted but changes nothing; setting it logs a warning. */
  noEffect?: string;
}

/** Attaches a field's doc; the one place a field's description is written. */
export function doc<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
  return schema.meta({ ...meta });
}

// Each reader names its rule in the words the errors use; "is required" when the value is absent.
const rule = (text: string) => ({ error: (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : text) });

/** An integer from `min` to `max`. */
export function int(min: number, max: number) {
  const r = rule(`must be an integer from ${min} to ${max}`);
  return z.number(r).int(r).min(min, r).max(max, r);
}

/** A duration: a whole number of milliseconds from `min` to `max`. */
export function ms(min: number, max: number) {
  const r = rule(`must be a whole number of milliseconds from ${min} to ${max}`);
  return z.number(r).int(r).min(min, r).max(max, r);
}

/** A non-empty string. */
export function str() {
  const r = rule('must be a non-empty string');
  return z.string(r).min(1, r);
}

/** true or false. */
export function bool() {
  return z.boolean(rule('must be true or false'));
}

/** One of `values`. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, rule(`must be one of ${values.join(', ')}`));
}

/** An array of non-empty strings. */
export function strings() {
  return z.array(str(), rule('must be an array of strings'));
}

const HOST_PORT = /^[^:\s/]+:\d{1,5}$/;
const withoutScheme = (s: string) => s.replace(/^https?:\/\//, '');

/** host:port, an http(s):// prefix dropped (as Consul's own tools take CONSUL_HTTP_ADDR). */
export function hostPort() {
  return str()
    .refine((s) => HOST_PORT.test(withoutScheme(s)) && Number(withoutScheme(s).split(':')[1]) <= 65535, {
      error: (iss) => `must be host:port (got "${String(iss.input)}")`,
    })
    .overwrite(withoutScheme);
}

/**
 * A strict object: a key it does not know is refused with the list of those it knows, so a
 * typo never falls back to a default in silence.
 */
export function section<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `is not a known field (known here: ${Object.keys(shape).join(', ')})` : 'must be an object'),
  });
}

/** A number, fractions allowed, from `min` to `max`. */
export function num(min: number, max: number) {
  const r = rule(`must be a number from ${min} to ${max}`);
  return z.number(r).min(min, r).max(max, r);
}
