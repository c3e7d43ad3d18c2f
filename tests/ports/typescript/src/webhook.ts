// The webhook check: signature = base64(HMAC-SHA256(key, taskId + "." + timestamp)), canonical base64 only,
// compared in constant time; the task id from data.taskId, then data.task_id, then a top-level taskId.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookRejection = 'signature' | 'signature-format' | 'stale' | 'future' | 'missing-timestamp' | 'missing-signature' | 'timestamp' | 'body';

export class WebhookError extends Error {
  constructor(readonly reason: WebhookRejection, message: string) {
    super(message);
    this.name = 'WebhookError';
  }
}

export interface VerifiedCallback {
  taskId: string;
  code: number;
  state: string | undefined;
  body: Record<string, unknown>;
}

/** Canonical standard base64 of 32 bytes: 43 characters whose last one has no stray bits, then one '='. */
const CANONICAL_SIGNATURE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export function computeSignature(taskId: string, timestamp: string, key: string): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(`${taskId}.${timestamp}`, 'utf8')).digest('base64');
}

/** Callbacks are small; a larger body is refused before parsing. */
export const maxBodyLength = 1024 * 1024;

export function parseCallback(body: string): VerifiedCallback {
  if (body.length > maxBodyLength) throw new WebhookError('body', `The callback body is longer than ${maxBodyLength} characters.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new WebhookError('body', 'The callback body is not JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new WebhookError('body', 'The callback body is not a JSON object.');
  const root = parsed as Record<string, unknown>;
  const data = (root.data !== null && typeof root.data === 'object' ? root.data : {}) as Record<string, unknown>;
  const taskId = [data.taskId, data.task_id, root.taskId].find((v): v is string => typeof v === 'string' && v.length > 0);
  if (taskId === undefined) throw new WebhookError('body', 'The callback names no task id (data.taskId, data.task_id or taskId).');
  if (typeof root.code !== 'number' || !Number.isInteger(root.code)) throw new WebhookError('body', 'The callback has no integer code.');
  return { taskId, code: root.code, state: typeof data.state === 'string' ? data.state : undefined, body: root };
}

export function verifyCallback(
  body: string,
  headers: { timestamp?: string | undefined; signature?: string | undefined },
  key: string,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): VerifiedCallback {
  const { timestamp, signature } = headers;
  if (timestamp === undefined || timestamp === '') throw new WebhookError('missing-timestamp', 'The X-Webhook-Timestamp header is missing.');
  if (signature === undefined || signature === '') throw new WebhookError('missing-signature', 'The X-Webhook-Signature header is missing.');
  if (!/^[0-9]{1,12}$/.test(timestamp)) throw new WebhookError('timestamp', 'X-Webhook-Timestamp is not Unix seconds.');
  if (!CANONICAL_SIGNATURE.test(signature)) throw new WebhookError('signature-format', 'X-Webhook-Signature is not canonical base64 of an HMAC-SHA256.');
  const callback = parseCallback(body);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  const skew = now - Number(timestamp);
  if (skew > tolerance) throw new WebhookError('stale', `The callback was signed ${skew} s ago, more than ${tolerance} s: a replay?`);
  if (-skew > tolerance) throw new WebhookError('future', `The callback is signed ${-skew} s in the future, more than ${tolerance} s.`);
  const given = Buffer.from(signature, 'base64');
  const expected = Buffer.from(computeSignature(callback.taskId, timestamp, key), 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new WebhookError('signature', 'The signature does not match this task id and timestamp.');
  }
  return callback;
}
