// Kiota's TypeScript row: type-checks (tsc --strict) against @microsoft/kiota-bundle and runs end to end:
//   node dist/src/kiota.js BASE_URL API_KEY run | state TASKID
import type { AuthenticationProvider, RequestInformation } from '@microsoft/kiota-abstractions';
import { DefaultRequestAdapter } from '@microsoft/kiota-bundle';
import { createKlingClient } from '../out/kiota-typescript/klingClient.js';
import type { CreateTaskRequest } from '../out/kiota-typescript/models/index.js';

const [baseUrl, apiKey, mode, taskArg] = process.argv.slice(2) as [string, string, string, string | undefined];
const bearer: AuthenticationProvider = {
  authenticateRequest: async (request: RequestInformation) => { request.headers.add('Authorization', `Bearer ${apiKey}`); },
};
const adapter = new DefaultRequestAdapter(bearer);
adapter.baseUrl = baseUrl;
const client = createKlingClient(adapter);

async function record(taskId: string) {
  return (await client.api.v1.jobs.recordInfo.get({ queryParameters: { taskId } }))?.data;
}

if (mode === 'state') {
  const state: string | null | undefined = (await record(taskArg!))?.state; // the open state is a plain string
  console.log(`STATE ${state}`);
} else {
  // The body is the text-to-video model's request; the base type's serializer picks it by `model` (the discriminator).
  const body: CreateTaskRequest = { model: 'kling/v2-5-turbo-text-to-video-pro', input: { prompt: 'A paper boat drifting down a rain-soaked street at dusk.' } };
  const created = await client.api.v1.jobs.createTask.post(body);
  const taskId = created?.data?.taskId;
  if (!taskId) throw new Error(`createTask answered code ${created?.code}: ${JSON.stringify(created)}`);
  for (let i = 0; i < 600; i++) {
    const current = await record(taskId);
    if (current?.state === 'success') {
      console.log(`RESULT ${(JSON.parse(current.resultJson!) as { resultUrls: string[] }).resultUrls[0]}`);
      process.exit(0);
    }
    if (current?.state === 'fail') throw new Error('the task failed');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out');
}
