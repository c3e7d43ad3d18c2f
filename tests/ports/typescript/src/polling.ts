// Waiting for a task, by the document's x-kling-polling (on GetTaskRecord): the first query at once, then a sleep of
// min(max, initial + growth x waited, timeout - waited); "not visible yet" answers ridden out for the grace period;
// an unknown state counts as still running; fail ends the wait with TaskFailed.
import type { components } from '../generated/kling.js';
import { pollingRules } from './document.js';
import { KlingApiError } from './errors.js';

type TaskRecord = NonNullable<components['schemas']['TaskRecord']>;
type TaskResult = components['schemas']['TaskResult'];

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface PollingOptions {
  clock?: Clock;
  initialDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  graceMs?: number;
  onProgress?: (record: TaskRecord) => void;
}

export class PollingTimeoutError extends Error {
  constructor(readonly taskId: string, readonly lastState: string | undefined) {
    super(`Task ${taskId} did not end in time (last state: ${lastState ?? 'not visible yet'}); query it again later, it may still finish.`);
    this.name = 'PollingTimeoutError';
  }
}

/** The result URLs inside resultJson, a string holding a TaskResult document. */
export function resultUrlsOf(record: TaskRecord): string[] {
  if (!record.resultJson) return [];
  const result = JSON.parse(record.resultJson) as TaskResult;
  if (!Array.isArray(result.resultUrls) || !result.resultUrls.every((u) => typeof u === 'string')) {
    throw new KlingApiError('Unknown', 200, 200, undefined, undefined, 'resultJson is not {"resultUrls":[...]}.');
  }
  return result.resultUrls;
}

/** An error the document lists under notVisibleYet: its code, and a message containing the text, ignoring case. */
export function isNotVisibleYet(error: unknown): boolean {
  if (!(error instanceof KlingApiError)) return false;
  const message = (error.serverMessage ?? '').toUpperCase();
  return pollingRules().notVisibleYet.answers.some((answer) =>
    error.code === answer.code && (answer.messageContains === undefined || message.includes(answer.messageContains.toUpperCase())));
}

export async function waitForCompletion(
  getRecord: (taskId: string) => Promise<TaskRecord>,
  taskId: string,
  options: PollingOptions = {},
): Promise<{ record: TaskRecord; resultUrls: string[] }> {
  const clock = options.clock ?? realClock;
  const rules = pollingRules();
  const initial = options.initialDelayMs ?? rules.delaySeconds.initialSeconds * 1000;
  const max = options.maxDelayMs ?? rules.delaySeconds.maxSeconds * 1000;
  const growth = rules.delaySeconds.growth;
  const timeout = options.timeoutMs ?? rules.timeoutSeconds * 1000;
  const grace = options.graceMs ?? rules.notVisibleYet.graceSeconds * 1000;
  const started = clock.now();
  let lastState: string | undefined;
  for (;;) {
    const elapsed = clock.now() - started;
    let record: TaskRecord | undefined;
    try {
      record = await getRecord(taskId);
    } catch (error) {
      if (!(isNotVisibleYet(error) && elapsed < grace)) throw error;
    }
    if (record) {
      options.onProgress?.(record);
      lastState = record.state;
      if (record.state === 'success') return { record, resultUrls: resultUrlsOf(record) };
      if (record.state === 'fail') {
        throw new KlingApiError('TaskFailed', 501, undefined, record.failMsg ?? undefined, undefined,
          `Task ${taskId} failed (failCode ${record.failCode ?? 'none'}): ${record.failMsg ?? 'no message'}. Submit a new task.`, record.failCode ?? undefined, taskId);
      }
    }
    const waited = clock.now() - started;
    if (waited >= timeout) throw new PollingTimeoutError(taskId, lastState);
    await clock.sleep(Math.min(max, initial + growth * waited, timeout - waited));
  }
}
