// The port's client: openapi-fetch over the generated types, plus the envelope check (errors arrive inside HTTP 200)
// as a middleware, validation before sending, and polling.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from '../generated/kling.js';
import { errorOf, KlingApiError } from './errors.js';
import { validateCreateTask, validateTaskId, ValidationError } from './validation.js';
import { waitForCompletion, type PollingOptions } from './polling.js';
import { uploadCalls, uploadServer } from './uploads.js';

// Every request schema with a model and an input: the one per model that VideoTaskRequest's discriminator maps to.
type Schemas = components['schemas'][keyof components['schemas']];
export type CreateTaskRequest = Extract<Schemas, { model: string; input: unknown }>;
export type TaskRecord = NonNullable<components['schemas']['TaskRecord']>;

export interface KlingClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: (request: Request) => Promise<Response>;
  maxResponseBytes?: number;
  /** The upload operations' server: the document's own for them (kie.ai's upload host) unless given. */
  uploadBaseUrl?: string;
}

/** Turns every answer that is not a success envelope into a KlingApiError before openapi-fetch parses it. */
function envelopeCheck(maxBytes: number): Middleware {
  return {
    async onResponse({ response }) {
      const bytes = new Uint8Array(await response.clone().arrayBuffer());
      if (bytes.length > maxBytes) {
        throw new KlingApiError('Unknown', response.status, response.status, undefined, undefined, `The answer is larger than ${maxBytes} bytes.`);
      }
      const text = new TextDecoder().decode(bytes);
      const error = errorOf(response.status, response.headers.get('content-type'), text, response.headers.get('retry-after'));
      if (error) throw error;
      return undefined;
    },
  };
}

export function createKlingClient(options: KlingClientOptions) {
  const http = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { Authorization: `Bearer ${options.apiKey}`, 'User-Agent': 'KlingGenerated-port-typescript/1.0' },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  http.use(envelopeCheck(options.maxResponseBytes ?? 1024 * 1024));

  const client = {
    http,
    async createTask(request: CreateTaskRequest): Promise<string> {
      const problems = validateCreateTask(request);
      if (problems.length > 0) throw new ValidationError(problems);
      const { data } = await http.POST('/api/v1/jobs/createTask', { body: request });
      const taskId = data?.data?.taskId;
      if (!taskId) throw new KlingApiError('Unknown', 200, 200, undefined, undefined, 'The createTask answer has no task id.');
      return taskId;
    },
    async getTaskRecord(taskId: string): Promise<TaskRecord> {
      const problems = validateTaskId(taskId);
      if (problems.length > 0) throw new ValidationError(problems);
      const { data } = await http.GET('/api/v1/jobs/recordInfo', { params: { query: { taskId } } });
      if (!data?.data) throw new KlingApiError('Unknown', 200, 200, undefined, undefined, 'The task query answered no record.');
      return data.data;
    },
    async getRemainingCredits(): Promise<number> {
      const { data } = await http.GET('/api/v1/chat/credit');
      if (typeof data?.data !== 'number') throw new KlingApiError('Unknown', 200, 200, undefined, undefined, 'The credits answer has no number.');
      return data.data;
    },
    async getDownloadUrl(url: string): Promise<string> {
      const { data } = await http.POST('/api/v1/common/download-url', { body: { url } });
      if (!data?.data) throw new KlingApiError('Unknown', 200, 200, undefined, undefined, 'The download-url answer has no link.');
      return data.data;
    },
    ...uploadCalls(http, options.uploadBaseUrl ?? uploadServer),
    waitForCompletion(taskId: string, polling?: PollingOptions) {
      return waitForCompletion((id) => client.getTaskRecord(id), taskId, polling);
    },
  };
  return client;
}
