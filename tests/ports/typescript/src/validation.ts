// Checks a request against the document's own schemas before it is sent, with the two ajv settings a port needs:
// multipleOfPrecision (0.3 / 0.1 is not an integer in binary floating point) and unicode: false (maxLength counts
// UTF-16 code units, as the service does; ajv counts code points by default).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import yaml from 'js-yaml';

export const specPath = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../../../openapi/kling.openapi.yaml');

export class ValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`The request was not sent: ${problems.join(' ')}`);
    this.name = 'ValidationError';
  }
}

// One validator per model: the body's model chooses its request schema (VideoTaskRequest's discriminator mapping).
let createTask: Map<string, ValidateFunction> | undefined;

function compile(): Map<string, ValidateFunction> {
  const spec = yaml.load(fs.readFileSync(specPath, 'utf8')) as { components: { schemas: { VideoTaskRequest: { discriminator: { mapping: Record<string, string> } } } } };
  const ajv = new Ajv({ strict: false, allErrors: true, multipleOfPrecision: 9, unicode: false, strictNumbers: true });
  ajv.addFormat('uri', (text: string) => { try { return new URL(text).href.length > 0; } catch { return false; } });
  for (const format of ['double', 'int32', 'int64', 'byte']) ajv.addFormat(format, true);
  ajv.addSchema({ $id: 'kling', components: spec.components });
  const mapping = spec.components.schemas.VideoTaskRequest.discriminator.mapping;
  return new Map(Object.entries(mapping).map(([model, ref]) => [model, ajv.getSchema(`kling${ref}`)!]));
}

/** The problems of a createTask body, each naming its dotted JSON field; empty when it may be sent. */
export function validateCreateTask(body: unknown): string[] {
  const problems: string[] = [];
  // JSON cannot carry NaN or infinities (JSON.stringify writes null): name the real problem first.
  const cfg = (body as { input?: { cfg_scale?: unknown } })?.input?.cfg_scale;
  if (typeof cfg === 'number' && !Number.isFinite(cfg)) problems.push(`input.cfg_scale must be a finite number, not ${cfg}.`);
  // A lone UTF-16 surrogate is not Unicode text: UTF-8 would send U+FFFD instead. Refused before sending, naming the field.
  const walk = (value: unknown, field: string): void => {
    if (typeof value === 'string') {
      if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) problems.push(`${field} is not text: it contains a lone UTF-16 surrogate.`);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) walk(inner, field ? `${field}.${key}` : key);
    }
  };
  walk(body, '');
  createTask ??= compile();
  const model = (body as { model?: unknown })?.model;
  const validate = typeof model === 'string' ? createTask.get(model) : undefined;
  if (!validate) return [...problems, `model must be one of ${[...createTask.keys()].join(', ')}, not ${JSON.stringify(model)}.`];
  if (!validate(body)) {
    for (const error of validate.errors ?? []) {
      const field = [...error.instancePath.split('/').filter(Boolean), ...(error.keyword === 'required' ? [String(error.params.missingProperty)] : [])].join('.');
      problems.push(`${field || 'the body'} ${error.message ?? 'is invalid'} (model ${model}).`);
    }
  }
  return problems;
}

export function validateTaskId(taskId: string): string[] {
  return taskId.length === 0 ? ['taskId must not be empty.'] : [];
}
