using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>The README says what --json prints: one object, or an array of objects for `tasks` and for `status` with several ids.</summary>
public sealed class JsonShapeTests
{
    [Fact]
    public async Task Every_command_prints_the_json_shape_the_README_names()
    {
        File.ReadAllText(Path.Combine(Repo.Root, "README.md")).Should().Contain(
            "`--json` gives one JSON value on stdout (an object; for `tasks`, and `status` with several ids, an array of objects), errors included (`{\"error\": {…}}`)");
        await using var run = await CliRun.StartAsync();
        var output = Path.Combine(run.Folder, "v");
        var first = (string)JObject.Parse((await run.RunAsync("generate", "A kite", "--no-wait", "--json")).Stdout)["taskId"]!;
        var second = (string)JObject.Parse((await run.RunAsync("generate", "A boat", "--out", output, "--json")).Stdout)["taskId"]!;
        var batch = run.Write("b.jsonl", """{"id":"fox","prompt":"A fox"}""" + "\n");

        var objects = new[]
        {
            await run.RunAsync("status", first, "--json"),
            await run.RunAsync("wait", first, "--out", output, "--json"),
            await run.RunAsync("download", second, "--out", output, "--json"),
            await CliRun.InProcessAsync(["credits", "--json", "--base-url", run.Simulator.BaseUrl.ToString(), "--api-key", CliRun.Key]),
            await run.RunAsync("batch", batch, "--out", output, "--json"),
            await run.RunAsync("tasks", "prune", "--older-than", "30d", "--json"),
        };
        var arrays = new[]
        {
            await run.RunAsync("tasks", "--json"),
            await run.RunAsync("status", first, second, "--json"),
        };
        var error = await run.RunAsync("status", "task_unknown", "--json");

        foreach (var result in objects)
        {
            result.ExitCode.Should().Be(0, result.Stderr);
            JToken.Parse(result.Stdout).Should().BeOfType<JObject>().Which.Should().NotContainKey("error");
        }

        foreach (var result in arrays)
        {
            result.ExitCode.Should().Be(0, result.Stderr);
            JToken.Parse(result.Stdout).Should().BeOfType<JArray>().Which.Should().HaveCountGreaterThanOrEqualTo(2).And.AllBeOfType<JObject>();
        }

        error.ExitCode.Should().Be(3);
        JToken.Parse(error.Stdout).Should().BeOfType<JObject>().Which.Should().ContainKey("error");
    }
}
