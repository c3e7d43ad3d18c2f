// The rules the document states as data (x- extensions), read once: the port copies none of them.
import fs from 'node:fs';
import yaml from 'js-yaml';
import { specPath } from './validation.js';

/** x-kling-polling on GetTaskRecord: the wait's schedule and which answers mean "not visible yet". */
export interface PollingRules {
  delaySeconds: { initialSeconds: number; growth: number; maxSeconds: number };
  timeoutSeconds: number;
  notVisibleYet: { graceSeconds: number; answers: { code: number; messageContains?: string }[] };
}

/** x-kling-callback-checks on the NotifyTaskFinished callback: what a receiver checks. */
export interface CallbackChecks {
  toleranceSeconds: number;
  body: { maxBytes: number; duplicateKeys: 'exact' | 'ignoringCase'; taskIdAt: string[]; code: 'integer' };
}

type Operation = Record<string, unknown> & { callbacks?: Record<string, Record<string, { post: Record<string, unknown> }>> };
type Spec = { paths: Record<string, Record<string, Operation>>; components: { parameters: Record<string, { schema: { pattern: string } }> } };
let spec: Spec | undefined;

const load = (): Spec => (spec ??= yaml.load(fs.readFileSync(specPath, 'utf8')) as Spec);

/** The pattern of a header parameter of the document (WebhookTimestamp, WebhookSignature), as a RegExp. */
export const parameterPattern = (name: string): RegExp => new RegExp(load().components.parameters[name]!.schema.pattern);

function operations(): Operation[] {
  const all = Object.values(load().paths).flatMap((path) => Object.values(path));
  const callbacks = all.flatMap((op) => Object.values(op.callbacks ?? {}).flatMap((urls) => Object.values(urls).map((url) => url.post as Operation)));
  return [...all, ...callbacks];
}

function extension<T>(operationId: string, name: string): T {
  const operation = operations().find((op) => op['operationId'] === operationId);
  const value = operation?.[name];
  if (value === undefined) throw new Error(`The document has no ${name} on ${operationId}.`);
  return value as T;
}

export const pollingRules = (): PollingRules => extension<PollingRules>('GetTaskRecord', 'x-kling-polling');
export const callbackChecks = (): CallbackChecks => extension<CallbackChecks>('NotifyTaskFinished', 'x-kling-callback-checks');
