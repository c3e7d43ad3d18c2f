namespace KlingGenerated.Tests.Cli;

/// <summary>generate, wait and download share one --overwrite rule: an identical file is success and left alone, a different one needs --overwrite.</summary>
public sealed class OverwriteRuleTests
{
    [Fact]
    public async Task Download_leaves_an_identical_file_alone_and_refuses_a_different_one_without_overwrite()
    {
        await using var run = await CliRun.StartAsync();
        var taskId = (await run.RunAsync("generate", "A kite", "--no-wait")).Stdout.Trim();
        var folder = Path.Combine(run.Folder, "v");
        var first = await run.RunAsync("wait", taskId, "--out", folder);
        first.ExitCode.Should().Be(0, first.Stderr);
        var path = Path.Combine(folder, taskId + ".mp4");
        var video = await File.ReadAllBytesAsync(path);
        var past = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, past);

        var again = await run.RunAsync("download", taskId, "--out", folder);
        var waitedAgain = await run.RunAsync("wait", taskId, "--out", folder);

        again.ExitCode.Should().Be(0, again.Stderr);
        waitedAgain.ExitCode.Should().Be(0, waitedAgain.Stderr);
        File.GetLastWriteTimeUtc(path).Should().Be(past, "an identical file is not rewritten");
        Directory.GetFiles(folder).Should().ContainSingle("the copy compared with it is removed");

        await File.WriteAllTextAsync(path, "my own edit");
        var refused = await run.RunAsync("download", taskId, "--out", folder);
        var waitRefused = await run.RunAsync("wait", taskId, "--out", folder);

        refused.ExitCode.Should().Be(3, refused.Stderr);
        refused.Stderr.Should().Contain("already exists with other content").And.Contain("--overwrite");
        waitRefused.ExitCode.Should().Be(3, waitRefused.Stderr);
        (await File.ReadAllTextAsync(path)).Should().Be("my own edit");

        var replaced = await run.RunAsync("download", taskId, "--out", folder, "--overwrite");

        replaced.ExitCode.Should().Be(0, replaced.Stderr);
        (await File.ReadAllBytesAsync(path)).Should().Equal(video);
        Directory.GetFiles(folder).Should().ContainSingle();
    }
}
