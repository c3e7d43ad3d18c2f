using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Models;

/// <summary>
/// The TypeScript and Python halves of the proof that a model is a document edit: each port, copied as the repository
/// has it beside the edited document, validates the new model's fields and runs create, wait, MP4 against the simulator
/// built from the copy. The scripts are a user's programs, like the C# half's Program.cs: nothing in a port changes.
/// </summary>
internal static class PortProofs
{
    /// <summary>The new model's valid input, and one broken value per field of a new kind (as the C# half checks them).</summary>
    private const string Cases = """
        {"valid": {"prompt": "A storyboard of a paper boat.", "caption": "Rain", "style": "ink", "strength": 1.5, "loop": true, "reference_urls": ["https://example.com/ref.png"]},
         "invalid": [["caption", "ccccccccccccccccccccccccccccccccccccccccc"], ["caption", "ab"], ["style", "pencil"], ["strength", 0.3], ["strength", 2.5],
                     ["loop", "yes"], ["reference_urls", []], ["reference_urls", ["https://e.com/a.png", "https://e.com/b.png", "https://e.com/c.png"]], ["reference_urls", ["a.png"]]]}
        """;

    private const string Python = """
        import json, os, sys
        port, model, cases = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
        sys.path.insert(0, port)
        import requests
        from kling_port.client import KlingClient
        from kling_port.spec import input_fields_of
        from kling_port.validation import validate_create_task
        from tests.test_e2e import start_simulator  # KLING_SIMULATOR_DLL: the simulator built from the copy

        print("python fields " + ",".join(f"{name}:{schema.get('type')}" for name, schema in input_fields_of(model).items()))
        valid = {"model": model, "input": cases["valid"]}
        print(f"python valid {len(validate_create_task(valid))} problems")
        for field, value in cases["invalid"]:
            body = json.loads(json.dumps(valid))
            body["input"][field] = value
            refused = any("input." + field in problem for problem in validate_create_task(body))
            print(f"python invalid {field} {'refused' if refused else 'accepted'}")
        process, base_url = start_simulator()
        try:
            client = KlingClient(base_url, "simulator-key")
            record, urls = client.wait_for_completion(client.create_task(valid), initial=0.2, maximum=1.0, timeout=120.0)
            video = requests.get(client.get_download_url(urls[0]), timeout=60).content
            print(f"python record {record['model']} {record['state']} mp4 {video[4:8].decode('latin1')}")
        finally:
            process.terminate()
            process.wait(timeout=10)
        """;

    private const string TypeScript = """
        import { spawn } from 'node:child_process';
        import { createKlingClient } from '../tests/ports/typescript/dist/src/client.js';
        import { validateCreateTask } from '../tests/ports/typescript/dist/src/validation.js';

        const [dll, model, text] = process.argv.slice(2);
        const cases = JSON.parse(text);
        const valid = { model, input: cases.valid };
        console.log(`typescript valid ${validateCreateTask(valid).length} problems`);
        for (const [field, value] of cases.invalid) {
          const body = structuredClone(valid);
          body.input[field] = value;
          console.log(`typescript invalid ${field} ${validateCreateTask(body).some((p) => p.includes('input.' + field)) ? 'refused' : 'accepted'}`);
        }
        const child = spawn('dotnet', [dll, '--urls', 'http://127.0.0.1:0', '--waiting-ms', '200', '--queuing-ms', '200', '--generating-ms', '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
        try {
          const baseUrl = await new Promise((resolve, reject) => {
            let output = '';
            child.stdout.on('data', (chunk) => { output += chunk; const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output); if (match) resolve(match[1]); });
            child.on('exit', (code) => reject(new Error(`the simulator exited with ${code}: ${output}`)));
          });
          const client = createKlingClient({ baseUrl, apiKey: 'simulator-key' });
          const { record, resultUrls } = await client.waitForCompletion(await client.createTask(valid), { initialDelayMs: 200, maxDelayMs: 1000, timeoutMs: 120_000 });
          const video = Buffer.from(await (await fetch(await client.getDownloadUrl(resultUrls[0]))).arrayBuffer());
          console.log(`typescript record ${record.model} ${record.state} mp4 ${video.subarray(4, 8).toString('latin1')}`);
        } finally {
          child.kill('SIGTERM');
        }
        """;

    /// <summary>Runs the copied Python port on the new model; the simulator is the one built from the copy.</summary>
    public static Task<(int ExitCode, string Output)> RunPythonAsync(string root, string python, string simulatorDll, string model)
    {
        var script = Path.Combine(root, "proof", "proof.py");
        File.WriteAllText(script, Python);
        return RunAsync(root, python, [script, Path.Combine(root, "tests", "ports", "python"), model, Cases], ("KLING_SIMULATOR_DLL", simulatorDll), ("PYTHONDONTWRITEBYTECODE", "1"));
    }

    /// <summary>Regenerates and compiles the copied TypeScript port from the edited document, then runs it on the new model.</summary>
    public static async Task<(int ExitCode, string Output)> RunTypeScriptAsync(string root, string simulatorDll, string model)
    {
        var port = Path.Combine(root, "tests", "ports", "typescript");
        foreach (var step in new[] { "generate", "build" })
        {
            var run = await RunAsync(port, "npm", ["run", step]);
            if (run.ExitCode != 0)
            {
                return (run.ExitCode, $"npm run {step} in the copy:\n{run.Output}");
            }
        }

        var script = Path.Combine(root, "proof", "proof.mjs");
        File.WriteAllText(script, TypeScript);
        return await RunAsync(root, "node", [script, simulatorDll, model, Cases]);
    }

    private static Task<(int ExitCode, string Output)> RunAsync(string directory, string program, string[] args, params (string Name, string Value)[] environment) =>
        ToolProcess.RunAsync(directory, TimeSpan.FromMinutes(10), program, args, environment);
}
