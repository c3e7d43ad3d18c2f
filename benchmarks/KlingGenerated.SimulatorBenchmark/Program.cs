using System.Diagnostics;
using System.Globalization;
using System.Text;
using KlingGenerated.Simulator;

// The simulator's create latency with N tasks already stored in its state file (the journal), through HTTP as a client sees it.
//   benchmarks/KlingGenerated.SimulatorBenchmark/run.sh --tasks 100000 --creates 200
// --tasks N: tasks written to the journal before the start (CI can run it tiny: --tasks 10 --creates 5).
// The journal is written directly in its documented line format (one {"task":...} line each), so a large N takes seconds.
var tasks = Arg("--tasks", 1000);
var creates = Arg("--creates", 200);
var model = KlingGenerated.KlingModels.ModelOf(typeof(KlingGenerated.CreateTaskRequest)); // the document's model for today's request type
var directory = Directory.CreateTempSubdirectory("kling-simulator-benchmark-");
try
{
    var path = Path.Combine(directory.FullName, "simulator.jsonl");
    var now = DateTimeOffset.UtcNow;
    var keyId = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("simulator-key"u8));
    await using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
    {
        await writer.WriteAsync("{\"format\":2,\"generation\":\"benchmark\"}\n");
        for (var i = 0; i < tasks; i++)
        {
            var nanoseconds = (now.AddMilliseconds(-i * 500L).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
            await writer.WriteAsync($"{{\"task\":{{\"taskId\":\"task_kling_seed{i:D7}\",\"keyId\":\"{keyId}\",\"param\":\"{{\\\"model\\\":\\\"{model}\\\",\\\"input\\\":{{\\\"prompt\\\":\\\"a paper boat {i}\\\"}}}}\",\"callBackUrl\":null,\"fails\":false,\"createdAtUnixNanoseconds\":{nanoseconds}}}}}\n");
        }
    }

    var start = Stopwatch.StartNew();
    await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { StateFile = path, RateLimit = int.MaxValue, Credits = long.MaxValue / 4 });
    var startup = start.Elapsed;
    using var http = new HttpClient { BaseAddress = simulator.BaseUrl };
    http.DefaultRequestHeaders.Authorization = new("Bearer", simulator.ApiKey);
    var body = "{\"model\":\"" + model + "\",\"input\":{\"prompt\":\"a lighthouse in a storm\"}}";
    var samples = new List<double>(creates);
    for (var i = 0; i < creates + 5; i++)
    {
        var one = Stopwatch.StartNew();
        using var response = await http.PostAsync("api/v1/jobs/createTask", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        if (!text.Contains("\"code\":200", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"create failed: {text}");
        }

        if (i >= 5)
        {
            samples.Add(one.Elapsed.TotalMilliseconds); // the first 5 warm up
        }
    }

    samples.Sort();
    double Percentile(double p) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(p * samples.Count) - 1)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"stored tasks {simulator.TaskCount - creates - 5} (then {creates + 5} created, 5 of them warm-up): start {startup.TotalMilliseconds:0} ms; create latency median {Percentile(0.5):0.00} ms, p95 {Percentile(0.95):0.00} ms, max {samples[^1]:0.00} ms over {creates} creates; journal {new FileInfo(path).Length / 1024.0:0} KiB"));
}
finally
{
    directory.Delete(recursive: true);
}

int Arg(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
