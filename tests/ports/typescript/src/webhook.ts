// The webhook check: signature = base64(HMAC-SHA256(key, taskId + "." + timestamp)), canonical base64 only,
// compared in constant time; the body rules (size, duplicate keys, where the task id is, an integer code) and the
// window are the document's x-kling-callback-checks.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { callbackChecks, parameterPattern } from './document.js';

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

/** Canonical standard base64 of 32 bytes (the document's WebhookSignature pattern); the timestamp's form (WebhookTimestamp). */
const CANONICAL_SIGNATURE = parameterPattern('WebhookSignature');
const TIMESTAMP = parameterPattern('WebhookTimestamp');

export function computeSignature(taskId: string, timestamp: string, key: string): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(`${taskId}.${timestamp}`, 'utf8')).digest('base64');
}

/** The largest body a receiver reads, in UTF-8 bytes (the document's body.maxBytes). */
export const maxBodyBytes = (): number => callbackChecks().body.maxBytes;

/** A key as compared for duplicates: as written, or (ignoringCase) each character by its simple uppercase mapping. */
function sameKey(key: string): string {
  if (callbackChecks().body.duplicateKeys !== 'ignoringCase') return key;
  return Array.from(key, (c) => { const upper = c.toUpperCase(); return upper.length === c.length ? upper : c; }).join('');
}

/** The first key that appears twice in one object of `text` (valid JSON), or undefined. JSON.parse keeps the last silently. */
function duplicateKey(text: string): string | undefined {
  const objects: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') { objects.push(new Set()); expectKey = true; }
    else if (c === '[') { objects.push(null); expectKey = false; }
    else if (c === '}' || c === ']') { objects.pop(); expectKey = false; }
    else if (c === ',') expectKey = objects.length > 0 && objects[objects.length - 1] !== null;
    else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const keys = objects[objects.length - 1]!;
        if (keys.has(sameKey(key))) return key;
        keys.add(sameKey(key));
        expectKey = false;
      }
      i = end;
    }
  }
  return undefined;
}

/** The value at a JSON pointer such as /data/taskId. */
function at(root: unknown, pointer: string): unknown {
  let node = root;
  for (const part of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

const isInt32 = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31;

export function parseCallback(body: string): VerifiedCallback {
  const rules = callbackChecks().body;
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > rules.maxBytes) throw new WebhookError('body', `The callback body is ${bytes} bytes, more than ${rules.maxBytes}.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new WebhookError('body', 'The callback body is not JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new WebhookError('body', 'The callback body is not a JSON object.');
  const twice = duplicateKey(body);
  if (twice !== undefined) throw new WebhookError('body', `The callback body has the key '${twice}' twice in one object.`);
  const root = parsed as Record<string, unknown>;
  const data = (root.data !== null && typeof root.data === 'object' ? root.data : {}) as Record<string, unknown>;
  const taskId = rules.taskIdAt.map((pointer) => at(root, pointer)).find((v): v is string => typeof v === 'string' && v.length > 0);
  if (taskId === undefined) throw new WebhookError('body', `The callback names no task id (at ${rules.taskIdAt.join(', ')}).`);
  if (rules.code !== 'integer' || !isInt32(root.code)) throw new WebhookError('body', 'The callback has no integer code.');
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
  if (!TIMESTAMP.test(timestamp)) throw new WebhookError('timestamp', 'X-Webhook-Timestamp is not Unix seconds.');
  if (!CANONICAL_SIGNATURE.test(signature)) throw new WebhookError('signature-format', 'X-Webhook-Signature is not canonical base64 of an HMAC-SHA256.');
  const callback = parseCallback(body);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? callbackChecks().toleranceSeconds;
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
