using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>kling batch names a line's video by the line's own id, made safe for a file name, and never replaces another video.</summary>
public sealed class BatchOutputNamesTests
{
    [Fact]
    public async Task A_line_with_an_id_is_saved_as_its_id_an_unsafe_id_stays_inside_out_and_a_line_without_one_is_saved_as_its_task_id()
    {
        await using var run = await CliRun.StartAsync();
        var file = run.Write("b.jsonl", string.Join('\n',
            """{"id":"boat-1","prompt":"A paper boat"}""",
            """{"id":"../../escape","prompt":"A kite"}""",
            """{"id":"ad 2/CON","prompt":"A fox"}""",
            """{"prompt":"A lighthouse"}""") + "\n");
        var output = Path.Combine(run.Folder, "v");

        var result = await run.RunAsync("batch", file, "--out", output, "--json");

        result.ExitCode.Should().Be(0, result.Stderr);
        var lines = JObject.Parse(result.Stdout)["lines"]!.ToDictionary(l => (string?)l["id"] ?? "-", l => (File: (string)l["file"]!, Task: (string)l["taskId"]!));
        lines["boat-1"].File.Should().Be(Path.Combine(output, "boat-1.mp4"));
        lines["-"].File.Should().Be(Path.Combine(output, lines["-"].Task + ".mp4"));
        foreach (var id in new[] { "../../escape", "ad 2/CON" })
        {
            Path.GetDirectoryName(lines[id].File).Should().Be(output, "an id never becomes a path as it is");
            Path.GetFileName(lines[id].File).Should().MatchRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*\\.mp4$");
        }

        Path.GetFileName(lines["../../escape"].File).Should().StartWith("escape-");
        Directory.GetFiles(output).Should().HaveCount(4);
        Directory.GetFiles(run.Folder, "*.mp4", SearchOption.TopDirectoryOnly).Should().BeEmpty();
    }

    [Fact]
    public async Task A_video_already_under_the_id_s_name_is_left_as_it_is_and_the_line_s_video_is_saved_beside_it()
    {
        await using var run = await CliRun.StartAsync();
        var output = Path.Combine(run.Folder, "v");
        var theirs = run.Write(Path.Combine("v", "boat-1.mp4"), "someone else's video");
        var file = run.Write("b.jsonl", """{"id":"boat-1","prompt":"A paper boat"}""" + "\n");

        var result = await run.RunAsync("batch", file, "--out", output, "--json");

        result.ExitCode.Should().Be(0, result.Stderr);
        File.ReadAllText(theirs).Should().Be("someone else's video");
        var line = JObject.Parse(result.Stdout)["lines"]![0]!;
        ((string)line["file"]!).Should().Be(Path.Combine(output, $"boat-1-{(string)line["taskId"]!}.mp4"));
        File.Exists((string)line["file"]!).Should().BeTrue();

        var again = await run.RunAsync("batch", file, "--out", output, "--json");

        again.ExitCode.Should().Be(0, again.Stderr);
        Directory.GetFiles(output).Should().HaveCount(2, "the resumed batch finds its line done and writes nothing more");
    }
}
