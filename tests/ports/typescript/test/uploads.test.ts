// Runs openapi/conformance/uploads.json against the port's upload calls.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createKlingClient } from '../src/client.js';
import { KlingApiError } from '../src/errors.js';
import { ValidationError } from '../src/validation.js';
import { vectors } from './repo.js';

interface UploadVector {
  id: string; description: string; operation: 'UploadFileStream' | 'UploadFileBase64' | 'UploadFileFromUrl';
  input: { file?: { base64: string; padTo?: number }; fileUrl?: string; fileName?: string; uploadPath: string };
  http?: { status: number; contentType: string; body: string; headers?: Record<string, string> };
  expect: {
    outcome: 'success' | 'error' | 'refused'; fileUrl?: string; expiresAt?: string; mentions?: string;
    kind?: string; code?: number; httpStatus?: number; retryable?: boolean;
    request?: { method: string; path: string; body?: unknown; form?: { fields: Record<string, string>; file: { fileName: string; contentType: string; base64: string } } };
  };
}

/** An upload vector's file: its base64 bytes, then zero bytes up to `padTo`. */
function fileOf(input: UploadVector['input']): Uint8Array {
  const head = Buffer.from(input.file!.base64, 'base64');
  const bytes = new Uint8Array(Math.max(head.length, input.file!.padTo ?? 0));
  bytes.set(head);
  return bytes;
}

// The upload operations' own server: another host than the service's.
const uploadBaseUrl = 'http://127.0.0.1:2';

describe('uploads', () => {
  for (const v of vectors<UploadVector>('uploads').vectors) {
    test(`${v.id}: ${v.description}`, async () => {
      const requests: Request[] = [];
      const fetch = async (request: Request) => {
        requests.push(request.clone());
        return new Response(v.http!.body, { status: v.http!.status, headers: { 'content-type': v.http!.contentType, ...v.http!.headers } });
      };
      const client = createKlingClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'port-key', fetch, uploadBaseUrl, maxResponseBytes: 1024 * 1024 });
      const i = v.input;
      const call = {
        UploadFileStream: () => client.uploadFile(fileOf(i), i.fileName!, i.uploadPath),
        UploadFileBase64: () => client.uploadFileBase64(fileOf(i), i.fileName!, i.uploadPath),
        UploadFileFromUrl: () => client.uploadFileFromUrl(i.fileUrl!, i.uploadPath, i.fileName),
      }[v.operation];
      const expect = v.expect;
      if (expect.outcome === 'refused') {
        await assert.rejects(call(), (e: unknown) => e instanceof ValidationError && e.message.includes(expect.mentions!));
        assert.equal(requests.length, 0, 'a refused upload sends nothing');
        return;
      }
      if (expect.outcome === 'success') {
        const stored = await call();
        assert.equal(stored.fileUrl, expect.fileUrl);
        assert.equal(stored.expiresAt, expect.expiresAt);
      } else {
        await assert.rejects(call(), (e: unknown) => {
          assert.ok(e instanceof KlingApiError, String(e));
          assert.deepEqual([e.kind, e.code, e.httpStatus, e.retryable], [expect.kind, expect.code, expect.httpStatus, expect.retryable]);
          return true;
        });
      }
      assert.equal(requests.length, 1);
      const sent = requests[0]!;
      const url = new URL(sent.url);
      assert.equal(url.host, '127.0.0.1:2', 'uploads go to their own server');
      assert.equal(sent.headers.get('authorization'), 'Bearer port-key');
      if (!expect.request) return;
      assert.equal(sent.method, expect.request.method);
      assert.equal(url.pathname, expect.request.path);
      if (expect.request.body) assert.deepEqual(JSON.parse(await sent.text()), expect.request.body);
      if (expect.request.form) {
        const form = await sent.formData();
        const file = form.get('file') as File;
        const fields: Record<string, string> = {};
        form.forEach((value, name) => { if (name !== 'file') fields[name] = String(value); });
        assert.deepEqual(fields, expect.request.form.fields);
        assert.deepEqual([file.name, file.type, Buffer.from(await file.arrayBuffer()).toString('base64')],
          [expect.request.form.file.fileName, expect.request.form.file.contentType, expect.request.form.file.base64]);
      }
    });
  }
});
