using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Cli;

/// <summary>One claim per request identity through the CLI: two batch files that share lines pay each once (the ledger-level claims: Ledger/LineClaimSuite).</summary>
public sealed class LineClaimTests
{
    [Fact]
    public async Task Two_batch_files_sharing_10_of_12_lines_started_together_create_12_tasks()
    {
        await using var run = await CliRun.StartAsync(o => o.GeneratingFor = TimeSpan.FromMilliseconds(300));
        var shared = string.Concat(Enumerable.Range(1, 10).Select(i => $$"""{"prompt":"Shared {{i}}"}""" + "\n"));
        var a = run.Write("a.jsonl", shared + """{"prompt":"Only in a"}""" + "\n");
        var b = run.Write("b.jsonl", """{"prompt":"Only in b"}""" + "\n" + shared);

        var both = await Task.WhenAll(
            run.RunAsync("batch", a, "--out", Path.Combine(run.Folder, "va")),
            run.RunAsync("batch", b, "--out", Path.Combine(run.Folder, "vb")));

        run.Simulator.CreatedTasks.Should().HaveCount(12, "12 distinct lines are 12 tasks, however the two files overlap");
        both.Should().AllSatisfy(r => r.ExitCode.Should().Be(0, r.Stderr));
        Directory.GetFiles(Path.Combine(run.Folder, "va"), "*.mp4").Should().HaveCount(11);
        Directory.GetFiles(Path.Combine(run.Folder, "vb"), "*.mp4").Should().HaveCount(11);
    }
}
