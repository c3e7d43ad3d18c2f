using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>
/// A batch keeps one createTask on the wire at a time, so a kill -9 leaves at most one line uncertain. The service here
/// holds each create's answer until another create arrives (or a patience runs out): a second create on the wire meanwhile
/// would be counted. No timing is asserted; the patience only lets a correct batch go on.
/// </summary>
public sealed class BatchOnTheWireTests
{
    private const string Model = "kling/v2-5-turbo-text-to-video-pro";

    [Fact]
    public async Task A_batch_never_has_two_createTasks_on_the_wire_at_once()
    {
        var onTheWire = 0;
        var most = 0;
        var created = 0;
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = HostileServer.Start(HostileServer.ByPath(
            ("/api/v1/jobs/createTask", async exchange =>
            {
                var now = Interlocked.Increment(ref onTheWire);
                InterlockedMax(ref most, now);
                if (now > 1)
                {
                    second.TrySetResult();
                }

                // Held until another create arrives: with two on the wire it would arrive now.
                await Task.WhenAny(second.Task, Task.Delay(TimeSpan.FromSeconds(2)));
                Interlocked.Decrement(ref onTheWire);
                await Json(new JObject { ["taskId"] = $"task_wire_{Interlocked.Increment(ref created)}" })(exchange);
            }),
            ("/api/v1/jobs/recordInfo", exchange =>
            {
                var id = exchange.Request.Query.Split("taskId=")[1].Split('&')[0];
                return Json(new JObject
                {
                    ["taskId"] = id, ["model"] = Model, ["state"] = "success", ["param"] = "{}", ["failCode"] = string.Empty, ["failMsg"] = string.Empty,
                    ["resultJson"] = new JObject { ["resultUrls"] = new JArray($"http://{exchange.Request.Header("Host")}/video.mp4") }.ToString(Newtonsoft.Json.Formatting.None),
                })(exchange);
            }),
            ("/api/v1/chat/credit", Json(new JValue(10_000))),
            ("/video.mp4", HostileServer.Answer(200, KlingGenerated.Simulator.KlingSimulator.SampleVideo(), ("Content-Type", "video/mp4")))));
        var dir = KlingProcess.NewDirectory();
        var file = Path.Combine(dir, "b.jsonl");
        await File.WriteAllTextAsync(file, string.Concat(Enumerable.Range(1, 3).Select(i => $$"""{"prompt":"Wire clip {{i}}"}""" + "\n")));

        var result = await CliRun.InProcessAsync(["batch", file, "--out", Path.Combine(dir, "v"), "--ledger", Path.Combine(dir, "l", "tasks.db"), "--base-url", server.BaseUrl.ToString(), "--api-key", "on-the-wire-key", "--json"]);

        result.ExitCode.Should().Be(0, result.Stderr);
        created.Should().Be(3);
        most.Should().Be(1, "a kill must find at most one createTask on the wire");
        ((int)JObject.Parse(result.Stdout)["done"]!).Should().Be(3);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                return;
            }
        }
    }

    private static Func<HostileExchange, Task> Json(JToken data) =>
        HostileServer.Answer(200, new JObject { ["code"] = 200, ["msg"] = "success", ["data"] = data }.ToString(), ("Content-Type", "application/json"));
}
