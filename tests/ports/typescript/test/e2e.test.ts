// End to end against the standalone simulator, started here as a separate process on a free loopback port:
// create the seed example, poll to success, download the MP4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { createKlingClient, type CreateTaskRequest } from '../src/client.js';
import { repoRoot } from './repo.js';

/** Starts the simulator (KLING_SIMULATOR_DLL, or `dotnet run` of its project) on port 0 and reads its URL from stdout. */
async function startSimulator(): Promise<{ baseUrl: string; process: ChildProcess; output: () => string }> {
  const args = ['--urls', 'http://127.0.0.1:0', '--waiting-ms', '200', '--queuing-ms', '200', '--generating-ms', '500'];
  const dll = process.env.KLING_SIMULATOR_DLL;
  const child = dll
    ? spawn('dotnet', [dll, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('dotnet', ['run', '--project', path.join(repoRoot, 'src', 'KlingGenerated.Simulator'), '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The simulator printed no URL within 180 s:\n${output}`)), 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\/?/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`The simulator exited with ${code} before listening:\n${output}`)); });
  });
  return { baseUrl, process: child, output: () => output };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Reads at most `max` bytes of a download, under a deadline. */
async function download(url: string, max: number): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  assert.equal(response.status, 200, `GET ${url}`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body! as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > max) throw new Error(`The download is larger than ${max} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

test('the seed example runs end to end against the standalone simulator: created, polled to success, MP4 downloaded', { timeout: 300_000 }, async () => {
  const spec = yaml.load(fs.readFileSync(path.join(repoRoot, 'openapi', 'kling.openapi.yaml'), 'utf8')) as {
    paths: Record<string, { post: { requestBody: { content: Record<string, { examples: Record<string, { value: CreateTaskRequest }> }> } } }>;
  };
  const seed = spec.paths['/api/v1/jobs/createTask']!.post.requestBody.content['application/json']!.examples['seed']!.value;
  // The seed's callBackUrl is a placeholder domain; the simulator would try to call it, so poll instead.
  const { callBackUrl: _placeholder, ...request } = seed;

  const simulator = await startSimulator();
  try {
    const client = createKlingClient({ baseUrl: simulator.baseUrl, apiKey: 'simulator-key' });
    const taskId = await client.createTask(request);
    assert.match(taskId, /^\S+$/);

    const states: string[] = [];
    const { record, resultUrls } = await client.waitForCompletion(taskId, {
      initialDelayMs: 200, maxDelayMs: 1000, timeoutMs: 120_000, onProgress: (r) => states.push(String(r.state)),
    });
    assert.equal(record.state, 'success');
    assert.equal(states[states.length - 1], 'success');
    // param is JSON text of the whole create request (x-contentSchema: CreateTaskRequest).
    assert.deepEqual(JSON.parse(record.param!), request);
    assert.equal(resultUrls.length, 1);

    const video = await download(resultUrls[0]!, 50 * 1024 * 1024);
    assert.ok(video.length > 1000, `the MP4 has ${video.length} bytes`);
    assert.equal(Buffer.from(video.subarray(4, 8)).toString('latin1'), 'ftyp', 'an MP4 starts with an ftyp box');
  } catch (error) {
    throw new Error(`${(error as Error).stack}\n--- simulator output ---\n${simulator.output()}`);
  } finally {
    await stop(simulator.process);
  }
});
