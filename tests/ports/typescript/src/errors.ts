// Answers to errors, by the document's x-error-classification (on KnownResponseCode): its `evaluation` as a table walk
// of `rules` and `codes`. Nothing here names a code; the kinds are the document's.
import fs from 'node:fs';
import yaml from 'js-yaml';
import { specPath } from './validation.js';

export type ErrorKind =
  | 'Unknown' | 'Unauthorized' | 'InsufficientCredits' | 'NotFound' | 'ValidationFailed' | 'RateLimited'
  | 'SubKeyLimitExceeded' | 'Maintenance' | 'ServerError' | 'GenerationFailed' | 'FeatureDisabled' | 'TaskFailed' | 'Timeout';

interface Verdict { kind: ErrorKind; retryable: boolean; createTaskMayExist: boolean }
interface Rule {
  id: string;
  when: { answer?: string[]; body?: string[]; httpStatus?: [number, number][]; bodyCode?: [number, number][]; codeListed?: boolean; bodySuccess?: boolean };
  then: { outcome: 'success' | 'error'; row?: 'code'; kind?: ErrorKind; retryable?: boolean; createTaskMayExist?: boolean };
}
interface Classification { rules: Rule[]; codes: Record<string, Verdict>; unknownCode: Verdict }

let classification: Classification | undefined;

function table(): Classification {
  if (!classification) {
    const spec = yaml.load(fs.readFileSync(specPath, 'utf8')) as { components: { schemas: Record<string, Record<string, unknown>> } };
    classification = spec.components.schemas['KnownResponseCode']!['x-error-classification'] as Classification;
  }
  return classification;
}

/** The facts of the evaluation: `answer` is http, notSent, noAnswer or timeout; `bodyCode` is the envelope's code, if any; `bodySuccess` its boolean `success`, if any. */
export function classify(answer: string, httpStatus?: number, bodyCode?: number, bodySuccess?: boolean): { rule: string; verdict?: Verdict; code: number } {
  const { rules, codes, unknownCode } = table();
  const http = answer === 'http';
  const code = !http ? 0 : bodyCode !== undefined && bodyCode !== 200 ? bodyCode : httpStatus!;
  const listed = http && String(code) in codes;
  const inRanges = (ranges: [number, number][], value: number | undefined) => value !== undefined && ranges.some(([low, high]) => value >= low && value <= high);
  for (const rule of rules) {
    const w = rule.when;
    if (w.answer && !w.answer.includes(answer)) continue;
    if (w.body && (!http || !w.body.includes(bodyCode !== undefined ? 'envelope' : 'other'))) continue;
    if (w.httpStatus && (!http || !inRanges(w.httpStatus, httpStatus))) continue;
    if (w.bodyCode && (!http || !inRanges(w.bodyCode, bodyCode))) continue;
    if (w.codeListed !== undefined && (!http || w.codeListed !== listed)) continue;
    if (w.bodySuccess !== undefined && (!http || bodyCode === undefined || w.bodySuccess !== bodySuccess)) continue;
    if (rule.then.outcome === 'success') return { rule: rule.id, code };
    const row = rule.then.row === 'code' ? codes[String(code)] ?? unknownCode : undefined;
    return {
      rule: rule.id,
      code,
      verdict: {
        kind: rule.then.kind ?? row!.kind,
        retryable: rule.then.retryable ?? row!.retryable,
        createTaskMayExist: rule.then.createTaskMayExist ?? row!.createTaskMayExist,
      },
    };
  }
  throw new Error('no rule of x-error-classification holds');
}

/** One error type for everything the service (or its edge) answers that is not a success. */
export class KlingApiError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: number,
    readonly httpStatus: number | undefined,
    readonly serverMessage: string | undefined,
    readonly retryAfterSeconds?: number,
    detail?: string,
    readonly failCode?: string,
    readonly taskId?: string,
    /** The answer was HTTP 2xx but not the envelope: the request arrived, and what it did is unknown. */
    readonly unreadableSuccess = false,
    /** The document's verdict, when the error is an answer it classified. */
    readonly verdict?: Verdict,
  ) {
    super(detail ?? `Kling API error ${code} ${kind}${httpStatus && httpStatus !== 200 ? ` (HTTP ${httpStatus})` : ''}: ${serverMessage ?? 'no message'}`);
    this.name = 'KlingApiError';
  }

  /** A query may be sent again later: the document's verdict; a failure the client found itself is final. */
  get retryable(): boolean {
    return this.verdict?.retryable ?? false;
  }

  /** Had this answered a createTask, a paid task may exist: the document's verdict; a 2xx that could not be used, too. */
  get createTaskMayExist(): boolean {
    return this.verdict?.createTaskMayExist ?? this.unreadableSuccess;
  }
}

export interface Envelope {
  code: number;
  msg?: string | null;
  message?: string | null;
  data?: unknown;
}

/** Reads `{code, msg, data}` without trusting its shape; undefined when the text is not that envelope. */
export function readEnvelope(text: string): Envelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const code = (parsed as Record<string, unknown>).code;
  // The document's fact `body`: the code is a JSON integer in int32's range; a string of digits is not.
  if (typeof code !== 'number' || !Number.isInteger(code) || code < -(2 ** 31) || code >= 2 ** 31) return undefined;
  return parsed as Envelope;
}

function describeBody(text: string, contentType: string | null): string {
  if (text.length === 0) return 'an empty body';
  if (contentType?.startsWith('text/html') || text.trimStart().startsWith('<')) return `an HTML page (${text.length} characters)`;
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return `a body that is not its JSON envelope ("${printable.length > 120 ? printable.slice(0, 117) + '...' : printable}")`;
}

/** The error an answer means, or undefined for a success envelope (HTTP 2xx and code 200). */
export function errorOf(status: number, contentType: string | null, text: string, retryAfter: string | null): KlingApiError | undefined {
  const wait = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : undefined;
  const envelope = readEnvelope(text);
  const success = (envelope as Record<string, unknown> | undefined)?.success;
  const { verdict, code } = classify('http', status, envelope?.code, typeof success === 'boolean' ? success : undefined);
  if (verdict === undefined) return undefined;
  if (envelope === undefined) {
    const advice = status === 403 && text.includes('1010') ? ' The edge blocked the request: send a User-Agent header.' : '';
    return new KlingApiError(verdict.kind, code, status, undefined, wait,
      `The service answered HTTP ${status} with ${describeBody(text, contentType)} instead of its JSON envelope.${advice}`,
      undefined, undefined, status >= 200 && status < 300, verdict);
  }
  const message = envelope.msg ?? envelope.message ?? undefined;
  return new KlingApiError(verdict.kind, code, status, message, wait, undefined, undefined, undefined, false, verdict);
}
