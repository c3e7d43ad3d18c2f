using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>One bad task or answer fails its line, never the whole batch.</summary>
public sealed class BatchLineFailureTests
{
    private const string Model = "kling/v2-5-turbo-text-to-video-pro";

    [Fact]
    public async Task A_task_whose_resultJson_is_not_an_object_fails_its_line_and_the_other_lines_are_done()
    {
        var created = 0;
        await using var server = HostileServer.Start(HostileServer.ByPath(
            ("/api/v1/jobs/createTask", exchange =>
            {
                var id = Interlocked.Increment(ref created) == 2 ? "task_bad" : $"task_good_{created}";
                return Json(new JObject { ["taskId"] = id })(exchange);
            }),
            ("/api/v1/jobs/recordInfo", exchange =>
            {
                var id = exchange.Request.Query.Split("taskId=")[1].Split('&')[0];
                var result = id == "task_bad" ? "[1,2]" : new JObject { ["resultUrls"] = new JArray($"http://{exchange.Request.Header("Host")}/video.mp4") }.ToString(Newtonsoft.Json.Formatting.None);
                return Json(new JObject
                {
                    ["taskId"] = id, ["model"] = Model, ["state"] = "success", ["param"] = "{}", ["resultJson"] = result, ["failCode"] = string.Empty, ["failMsg"] = string.Empty,
                })(exchange);
            }),
            ("/api/v1/chat/credit", Json(new JValue(10_000))),
            ("/video.mp4", HostileServer.Answer(200, KlingGenerated.Simulator.KlingSimulator.SampleVideo(), ("Content-Type", "video/mp4")))));
        var dir = KlingProcess.NewDirectory();
        var file = Path.Combine(dir, "b.jsonl");
        await File.WriteAllTextAsync(file, string.Concat(Enumerable.Range(1, 3).Select(i => $$"""{"prompt":"Clip {{i}}"}""" + "\n")));
        string[] args = ["batch", file, "--out", Path.Combine(dir, "v"), "--ledger", Path.Combine(dir, "l", "tasks.db"), "--base-url", server.BaseUrl.ToString(), "--api-key", "k", "--json"];

        var first = await CliRun.InProcessAsync(args);
        var again = await CliRun.InProcessAsync(args);

        first.ExitCode.Should().Be(4, first.Stderr);
        var lines = JObject.Parse(first.Stdout)["lines"]!;
        lines.Select(l => (string)l["state"]!).Should().BeEquivalentTo("done", "done", "failed");
        ((string)lines.Single(l => (string)l["state"]! == "failed")["taskId"]!).Should().Be("task_bad");
        first.Stderr.Should().NotContain("report it");
        again.ExitCode.Should().Be(4, again.Stderr);
        server.Requests.Count(r => r.Path == "/api/v1/jobs/createTask").Should().Be(3, "a resume waits for the failed line's task again, it never pays for it again");
    }

    private static Func<HostileExchange, Task> Json(JToken data) =>
        HostileServer.Answer(200, new JObject { ["code"] = 200, ["msg"] = "success", ["data"] = data }.ToString(), ("Content-Type", "application/json"));
}
