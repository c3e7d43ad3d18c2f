// Runs every conformance vector of openapi/conformance against the port.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createKlingClient } from '../src/client.js';
import { KlingApiError } from '../src/errors.js';
import { ValidationError } from '../src/validation.js';
import { verifyCallback, WebhookError, computeSignature } from '../src/webhook.js';
import { waitForCompletion, type Clock } from '../src/polling.js';
import { callbackChecks, pollingRules } from '../src/document.js';
import yaml from 'js-yaml';
import { KlingModel } from '../generated/kling-enums.js';
import type { CreateTaskRequest } from '../src/client.js';
import { specPath } from '../src/validation.js';
import { repoRoot, vectors } from './repo.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A fetch that records each request and answers from `answer`. */
function recordingFetch(answer: (request: Request) => Response) {
  const requests: { method: string; url: URL; headers: Headers; body: string }[] = [];
  const fetch = async (request: Request) => {
    requests.push({ method: request.method, url: new URL(request.url), headers: request.headers, body: await request.clone().text() });
    return answer(request);
  };
  return { requests, fetch };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const success = (data: unknown) => json({ code: 200, msg: 'success', data });

/** JSON equality as the wire means it: key order does not matter, absent stays absent. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (a === null || b === null || typeof a !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object), kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

describe('the vector files', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(repoRoot, 'openapi', 'conformance', 'vectors.schema.json'), 'utf8')));
  for (const kind of ['requests', 'validation', 'responses', 'webhooks', 'polling', 'uploads']) {
    test(`${kind}.json follows vectors.schema.json and has unique ids`, () => {
      const file = vectors<{ id: string }>(kind);
      assert.ok(validate(file), JSON.stringify(validate.errors));
      assert.equal(new Set(file.vectors.map((v) => v.id)).size, file.vectors.length);
    });
  }
});

describe('requests', () => {
  interface RequestVector {
    id: string; description: string; operation: string; input: Record<string, Json>;
    request: { method: string; path: string; query?: Record<string, string>; body?: JsonObject };
  }
  // The document's models and their input fields, to build any model's body from typed values.
  type Schema = { $ref?: string; properties?: Record<string, Schema>; allOf?: Schema[]; enum?: string[]; 'x-enum-varnames'?: string[]; discriminator?: { mapping: Record<string, string> } };
  const spec = yaml.load(fs.readFileSync(specPath, 'utf8')) as { components: { schemas: Record<string, Schema> } };
  const resolve = (schema: Schema): Schema => (schema.$ref ? resolve(spec.components.schemas[schema.$ref.split('/').pop()!]!) : schema);
  const inputFields = (model: string): Record<string, Schema> => {
    const request = resolve({ $ref: spec.components.schemas.VideoTaskRequest!.discriminator!.mapping[model] ?? assert.fail(`no model ${model}`) });
    const input = (request.allOf ?? [request]).map(resolve).find((part) => part.properties?.input)!.properties!.input!;
    return Object.fromEntries(Object.entries(resolve(input).properties ?? {}).map(([name, field]) => [name, resolve(field)]));
  };
  /** A createTask body from typed values for any model: camelCase names become the model's fields, enum members their values (x-enum-varnames). */
  const typedBody = (i: Record<string, Json>): CreateTaskRequest => {
    const model = KlingModel[String(i.model ?? 'KlingV25TurboTextToVideoPro') as keyof typeof KlingModel] ?? assert.fail(`no member ${String(i.model)}`);
    const fields = inputFields(model);
    const input: Record<string, Json> = {};
    const body: Record<string, Json> = { model, input };
    for (const [key, value] of Object.entries(i)) {
      if (key === 'model') continue;
      if (key === 'callBackUrl') { body.callBackUrl = value; continue; }
      const wire = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      const field = fields[wire] ?? assert.fail(`${model} has no input field ${wire} (from ${key})`);
      input[wire] = field['x-enum-varnames'] ? field.enum![field['x-enum-varnames'].indexOf(String(value))] ?? assert.fail(`no member ${String(value)}`) : value;
    }
    return body as unknown as CreateTaskRequest;
  };

  for (const v of vectors<RequestVector>('requests').vectors) {
    test(`${v.id}: ${v.description}`, async () => {
      const { requests, fetch } = recordingFetch((request) => {
        const p = new URL(request.url).pathname;
        if (p.endsWith('/createTask')) return success({ taskId: 'task_1' });
        if (p.endsWith('/recordInfo')) return success({ taskId: 'task_1', state: 'waiting' });
        if (p.endsWith('/credit')) return success(7);
        return success('https://example.com/d.mp4');
      });
      const client = createKlingClient({ baseUrl: 'http://127.0.0.1:1/', apiKey: 'port-key', fetch });
      const i = v.input;
      switch (v.operation) {
        case 'CreateTask': {
          assert.equal(await client.createTask(typedBody(i)), 'task_1');
          break;
        }
        case 'GetTaskRecord': assert.equal((await client.getTaskRecord(String(i.taskId))).taskId, 'task_1'); break;
        case 'GetRemainingCredits': assert.equal(await client.getRemainingCredits(), 7); break;
        case 'GetDownloadUrl': assert.equal(await client.getDownloadUrl(String(i.url)), 'https://example.com/d.mp4'); break;
        default: assert.fail(`unknown operation ${v.operation}`);
      }
      assert.equal(requests.length, 1);
      const sent = requests[0]!;
      assert.equal(sent.method, v.request.method);
      assert.equal(sent.url.pathname, v.request.path);
      assert.equal(sent.headers.get('authorization'), 'Bearer port-key');
      assert.ok(sent.headers.get('user-agent'));
      assert.deepEqual(Object.fromEntries(sent.url.searchParams), v.request.query ?? {});
      if (v.request.body) assert.ok(jsonEqual(JSON.parse(sent.body), v.request.body), `sent ${sent.body}`);
      else assert.equal(sent.body, '');
    });
  }
});

describe('validation', () => {
  interface ValidationVector {
    id: string; description: string; operation?: string; base?: Json; field: string; valid: boolean;
    value?: Json; text?: { parts: { repeat: string; times: number }[] }; utf16Length?: number; number?: string; absent?: true;
  }
  const file = vectors<ValidationVector>('validation');
  for (const v of file.vectors) {
    test(`${v.id}: ${v.description}`, async () => {
      const { requests, fetch } = recordingFetch(() => success(v.operation === 'GetTaskRecord' ? { taskId: 't', state: 'waiting' } : { taskId: 't' }));
      const client = createKlingClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', fetch });
      let call: () => Promise<unknown>;
      if (v.operation === 'GetTaskRecord') {
        call = () => client.getTaskRecord(v.value as string);
      } else {
        const body = structuredClone(v.base ?? file.base) as Record<string, Record<string, unknown>>; // a vector of another model brings its own base
        const names = v.field.split('.');
        const parent = names.slice(0, -1).reduce((node, name) => node[name] as Record<string, Record<string, unknown>>, body) as Record<string, unknown>;
        const last = names[names.length - 1]!;
        if (v.absent) delete parent[last];
        else if (v.number) parent[last] = Number(v.number);
        else if (v.text) {
          const text = v.text.parts.map((p) => p.repeat.repeat(p.times)).join('');
          assert.equal(text.length, v.utf16Length, 'the text is that many UTF-16 code units');
          parent[last] = text;
        } else parent[last] = v.value;
        call = () => client.createTask(body as unknown as CreateTaskRequest);
      }
      if (v.valid) {
        await call();
        assert.equal(requests.length, 1);
      } else {
        await assert.rejects(call, (e: unknown) => e instanceof ValidationError && e.problems.some((p) => p.includes(v.field)));
        assert.equal(requests.length, 0, 'nothing is sent');
      }
    });
  }
});

describe('responses', () => {
  interface ResponseVector {
    id: string; description: string; operation: string;
    http: { status: number; contentType: string; headers?: Record<string, string>; body: string };
    expect: { outcome: string; data?: Json; kind?: string; code?: number; httpStatus?: number; retryable?: boolean; createTaskMayExist?: boolean; retryAfterSeconds?: number; serverMessage?: string };
  }
  for (const v of vectors<ResponseVector>('responses').vectors) {
    test(`${v.id}: ${v.description}`, async () => {
      const { requests, fetch } = recordingFetch(() => new Response(v.http.body, { status: v.http.status, headers: { 'content-type': v.http.contentType, ...v.http.headers } }));
      const client = createKlingClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', fetch });
      const call = v.operation === 'CreateTask'
        ? async () => ({ taskId: await client.createTask({ model: 'kling/v2-5-turbo-text-to-video-pro', input: { prompt: 'p' } }) })
        : () => client.getRemainingCredits();
      if (v.expect.outcome === 'success') {
        assert.deepEqual(await call(), v.expect.data);
      } else {
        await assert.rejects(call, (e: unknown) => {
          assert.ok(e instanceof KlingApiError, String(e));
          assert.equal(e.kind, v.expect.kind);
          assert.equal(e.code, v.expect.code);
          assert.equal(e.httpStatus, v.expect.httpStatus);
          assert.equal(e.retryable, v.expect.retryable);
          assert.equal(e.createTaskMayExist, v.expect.createTaskMayExist);
          assert.equal(e.retryAfterSeconds, v.expect.retryAfterSeconds);
          if (v.expect.serverMessage !== undefined) assert.equal(e.serverMessage, v.expect.serverMessage);
          return true;
        });
      }
      assert.equal(requests.length, 1);
    });
  }
});

describe('webhooks', () => {
  interface WebhookVector {
    id: string; description: string; key: string; body: string; padTo?: number; now: number;
    headers: { 'X-Webhook-Timestamp'?: string; 'X-Webhook-Signature'?: string };
    expect: { accepted: boolean; taskId?: string; code?: number; state?: string; reason?: string };
  }
  const file = vectors<WebhookVector>('webhooks');
  test('the window of the vectors is the document\'s toleranceSeconds', () => assert.equal(file.toleranceSeconds, callbackChecks().toleranceSeconds));
  for (const v of file.vectors) {
    test(`${v.id}: ${v.description}`, () => {
      // The body, padded with spaces to padTo UTF-8 bytes; the window is the port's own (the document's).
      const body = v.padTo === undefined ? v.body : v.body + ' '.repeat(v.padTo - Buffer.byteLength(v.body, 'utf8'));
      const check = () => verifyCallback(body, { timestamp: v.headers['X-Webhook-Timestamp'], signature: v.headers['X-Webhook-Signature'] }, v.key,
        { nowSeconds: v.now });
      if (v.expect.accepted) {
        const callback = check();
        assert.equal(callback.taskId, v.expect.taskId);
        assert.equal(callback.code, v.expect.code);
        assert.equal(callback.state, v.expect.state);
        assert.equal(computeSignature(callback.taskId, v.headers['X-Webhook-Timestamp']!, v.key), v.headers['X-Webhook-Signature']);
      } else {
        assert.throws(check, (e: unknown) => e instanceof WebhookError && e.reason === v.expect.reason);
      }
    });
  }
});

describe('polling', () => {
  interface PollingVector {
    id: string; description: string; answers: JsonObject[]; repeatLast?: boolean;
    expect: { outcome: string; queries?: number; states?: string[]; resultUrls?: string[]; failCode?: string; failMsg?: string; kind?: string; minElapsedSeconds?: number };
  }
  const file = vectors<PollingVector>('polling');
  test('the grace period of the vectors is the document\'s', () => assert.equal(file.graceSeconds, pollingRules().notVisibleYet.graceSeconds));
  for (const v of file.vectors) {
    test(`${v.id}: ${v.description}`, async () => {
      let now = 0;
      const clock: Clock = { now: () => now, sleep: async (ms) => { now += ms; } };
      const queriedAt: number[] = [];
      const states: string[] = [];
      // The answers go through the real client (envelope check included), over a recording fetch.
      const { fetch } = recordingFetch(() => {
        queriedAt.push(now);
        const index = Math.min(queriedAt.length - 1, v.answers.length - 1);
        if (queriedAt.length > v.answers.length && !v.repeatLast) assert.fail('more queries than answers');
        return json(v.answers[index]);
      });
      const client = createKlingClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', fetch });
      const wait = waitForCompletion((id) => client.getTaskRecord(id), 'task_kling_1765184398475',
        { clock, onProgress: (r) => states.push(String(r.state)) });
      if (v.expect.outcome === 'success') {
        assert.deepEqual((await wait).resultUrls, v.expect.resultUrls);
      } else {
        await assert.rejects(wait, (e: unknown) => {
          assert.ok(e instanceof KlingApiError, String(e));
          if (v.expect.outcome === 'taskFailed') {
            assert.equal(e.kind, 'TaskFailed');
            assert.equal(e.failCode, v.expect.failCode);
            assert.equal(e.serverMessage, v.expect.failMsg);
          } else {
            assert.equal(e.kind, v.expect.kind);
          }
          return true;
        });
      }
      if (v.expect.queries !== undefined) assert.equal(queriedAt.length, v.expect.queries);
      if (v.expect.states) assert.deepEqual(states, v.expect.states);
      if (v.expect.minElapsedSeconds !== undefined) assert.ok(queriedAt[queriedAt.length - 1]! >= v.expect.minElapsedSeconds * 1000);
    });
  }
});
