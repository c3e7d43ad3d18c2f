// hey-api's end-to-end run: node dist/src/hey-api.js BASE_URL API_KEY run | state TASKID (see matrix.mjs).
import { createClient } from '../out/hey-api/client/index.js';
import { createTask, getTaskRecord } from '../out/hey-api/sdk.gen.js';
import { KlingModel, TaskState, type CreateTaskRequest, type OpenTaskState } from '../out/hey-api/types.gen.js';

const [baseUrl, apiKey, mode, taskArg] = process.argv.slice(2) as [string, string, string, string | undefined];
const client = createClient({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });

async function state(taskId: string): Promise<{ state: OpenTaskState | undefined; resultJson?: string | null }> {
  const { data } = await getTaskRecord({ client, query: { taskId } });
  return { state: data?.data?.state, resultJson: data?.data?.resultJson };
}

if (mode === 'state') {
  console.log(`STATE ${(await state(taskArg!)).state}`);
} else {
  const body: CreateTaskRequest = { model: KlingModel.KLING_V25_TURBO_TEXT_TO_VIDEO_PRO, input: { prompt: 'A paper boat drifting down a rain-soaked street at dusk.' } };
  const { data: created } = await createTask({ client, body });
  const taskId = created?.data?.taskId;
  if (!taskId) throw new Error(`createTask answered ${JSON.stringify(created)}`);
  for (let i = 0; i < 600; i++) {
    const record = await state(taskId);
    if (record.state === TaskState.SUCCESS) {
      console.log(`RESULT ${(JSON.parse(record.resultJson!) as { resultUrls: string[] }).resultUrls[0]}`);
      process.exit(0);
    }
    if (record.state === TaskState.FAIL) throw new Error('the task failed');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out');
}
