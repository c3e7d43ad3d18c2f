// openapi-typescript + openapi-fetch end-to-end run: node dist/src/openapi-fetch.js BASE_URL API_KEY run | state TASKID.
import createClient from 'openapi-fetch';
import { KlingModel, TaskState, type components, type paths } from '../out/openapi-typescript/kling.js';

const [baseUrl, apiKey, mode, taskArg] = process.argv.slice(2) as [string, string, string, string | undefined];
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });

async function record(taskId: string): Promise<components['schemas']['TaskRecord'] | undefined> {
  const { data } = await client.GET('/api/v1/jobs/recordInfo', { params: { query: { taskId } } });
  return data?.data ?? undefined;
}

if (mode === 'state') {
  const state: string | undefined = (await record(taskArg!))?.state; // the open state: TaskState | string
  console.log(`STATE ${state}`);
} else {
  const { data: created } = await client.POST('/api/v1/jobs/createTask', {
    body: { model: KlingModel.KlingV25TurboTextToVideoPro, input: { prompt: 'A paper boat drifting down a rain-soaked street at dusk.' } },
  });
  const taskId = created?.data?.taskId;
  if (!taskId) throw new Error(`createTask answered ${JSON.stringify(created)}`);
  for (let i = 0; i < 600; i++) {
    const current = await record(taskId);
    if (current?.state === TaskState.Success) {
      console.log(`RESULT ${(JSON.parse(current.resultJson!) as { resultUrls: string[] }).resultUrls[0]}`);
      process.exit(0);
    }
    if (current?.state === TaskState.Fail) throw new Error('the task failed');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out');
}
