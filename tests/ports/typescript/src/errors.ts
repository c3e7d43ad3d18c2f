// Envelope codes to error kinds: what the document says in prose and in x-error-kind, which no generator can carry.

export type ErrorKind =
  | 'Unknown' | 'Unauthorized' | 'InsufficientCredits' | 'NotFound' | 'ValidationFailed' | 'RateLimited'
  | 'SubKeyLimitExceeded' | 'Maintenance' | 'ServerError' | 'GenerationFailed' | 'FeatureDisabled' | 'TaskFailed';

/** The kind of a service code (or, for a body that is not the envelope, of the HTTP status). */
export function kindOf(code: number, httpStatus: number): ErrorKind {
  switch (code) {
    case 401: case 403: return 'Unauthorized';
    case 402: return 'InsufficientCredits';
    case 404: return 'NotFound';
    case 400: case 422: return 'ValidationFailed';
    case 429: return 'RateLimited';
    case 433: return 'SubKeyLimitExceeded';
    case 455: return 'Maintenance';
    case 500: case 502: case 503: case 504: return 'ServerError';
    case 501: return 'GenerationFailed';
    case 505: return 'FeatureDisabled';
  }
  if (httpStatus === 429) return 'RateLimited';
  if (httpStatus === 502 || httpStatus === 503 || httpStatus === 504) return 'ServerError';
  return 'Unknown';
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
  ) {
    super(detail ?? `Kling API error ${code} ${kind}${httpStatus && httpStatus !== 200 ? ` (HTTP ${httpStatus})` : ''}: ${serverMessage ?? 'no message'}`);
    this.name = 'KlingApiError';
  }

  /** A query may be sent again later (429 and 455 created nothing; a server error is transient). */
  get retryable(): boolean {
    return this.kind !== 'TaskFailed'
      && ([429, 455, 500, 502, 503, 504].includes(this.code) || [429, 500, 502, 503, 504].includes(this.httpStatus ?? 0));
  }

  /** Had this answered a createTask, a paid task may exist: never resend it blindly (x-error-classification: the row, any HTTP 5xx, an unreadable 2xx). */
  get createTaskMayExist(): boolean {
    return this.kind === 'ServerError' || (this.httpStatus ?? 0) >= 500 || this.unreadableSuccess;
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
  if (typeof code !== 'number' || !Number.isInteger(code)) return undefined;
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
  if (envelope === undefined) {
    const kind = status >= 200 && status < 300 ? 'Unknown' : kindOf(status, status);
    const advice = status === 403 && text.includes('1010') ? ' The edge blocked the request: send a User-Agent header.' : '';
    return new KlingApiError(kind, status, status, undefined, wait,
      `The service answered HTTP ${status} with ${describeBody(text, contentType)} instead of its JSON envelope.${advice}`,
      undefined, undefined, status >= 200 && status < 300);
  }
  if (status >= 200 && status < 300 && envelope.code === 200) return undefined;
  const code = envelope.code === 200 ? status : envelope.code;
  const message = envelope.msg ?? envelope.message ?? undefined;
  return new KlingApiError(kindOf(code, status), code, status, message, wait);
}
