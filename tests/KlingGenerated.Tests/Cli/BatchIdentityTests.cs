using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>A batch is known by its lines (their id, else their content), never by its file's path.</summary>
[Trait("Category", "Slow")] // concurrent batch processes on one ledger
public sealed class BatchIdentityTests
{
    private static string Lines(int count, string prefix = "Clip") =>
        string.Concat(Enumerable.Range(1, count).Select(i => $$"""{"prompt":"{{prefix}} {{i}}"}""" + "\n"));

    [Fact]
    public async Task A_copy_a_rename_a_symlink_and_another_working_folder_of_a_finished_batch_pay_for_nothing_again()
    {
        await using var run = await CliRun.StartAsync();
        var original = run.Write("a/batch.jsonl", Lines(3) + """{"id":"x","prompt":"With an id"}""" + "\n");
        var first = await run.RunAsync("batch", original, "--out", Path.Combine(run.Folder, "v"));
        first.ExitCode.Should().Be(0, first.Stderr);
        run.Simulator.CreatedTasks.Should().HaveCount(4);

        var copy = run.Write("b/copy.jsonl", File.ReadAllText(original));
        var renamed = Path.Combine(run.Folder, "a", "renamed.jsonl");
        File.Move(original, renamed);
        var link = Path.Combine(run.Folder, "link.jsonl");
        File.CreateSymbolicLink(link, renamed);
        var reordered = run.Write("c/reordered.jsonl", string.Join("\n", File.ReadAllLines(renamed).Reverse().Select(l => JObject.Parse(l).ToString(Newtonsoft.Json.Formatting.Indented).Replace("\n", " ", StringComparison.Ordinal))) + "\n");
        foreach (var again in new[] { copy, renamed, link, reordered })
        {
            var result = await run.RunAsync("batch", again, "--out", Path.Combine(run.Folder, "v"));
            result.ExitCode.Should().Be(0, result.Stderr);
            result.Stderr.Should().Contain("4 already done");
        }

        var elsewhere = await CliRun.InProcessAsync(["batch", Path.GetRelativePath(Environment.CurrentDirectory, copy), "--out", Path.Combine(run.Folder, "v"), .. run.Service]);
        elsewhere.ExitCode.Should().Be(0, elsewhere.Stderr);
        run.Simulator.CreatedTasks.Should().HaveCount(4, "every line was created once, whatever the file's name or folder");
    }

    [Fact]
    public async Task Two_concurrent_runs_of_one_batch_one_through_a_symlinked_folder_create_each_line_once()
    {
        await using var run = await CliRun.StartAsync(o => o.GeneratingFor = TimeSpan.FromMilliseconds(400));
        var file = run.Write("real/batch.jsonl", Lines(10));
        var linkedFolder = Path.Combine(run.Folder, "linked");
        Directory.CreateSymbolicLink(linkedFolder, Path.Combine(run.Folder, "real"));

        var both = await Task.WhenAll(
            run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v")),
            run.RunAsync("batch", Path.Combine(linkedFolder, "batch.jsonl"), "--out", Path.Combine(run.Folder, "v")));

        run.Simulator.CreatedTasks.Should().HaveCount(10, "10 lines are 10 tasks, however the runs overlap");
        both.Count(r => r.ExitCode == 0).Should().BeGreaterThanOrEqualTo(1);
        both.Where(r => r.ExitCode != 0).Should().OnlyContain(r => r.ExitCode == 2 && r.Stderr.Contains("already running", StringComparison.Ordinal));
        var resume = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"));
        resume.ExitCode.Should().Be(0, resume.Stderr);
        run.Simulator.CreatedTasks.Should().HaveCount(10);
    }

    [Fact]
    public async Task An_intentional_re_run_needs_rerun_and_resumes_under_its_own_name()
    {
        await using var run = await CliRun.StartAsync();
        var file = run.Write("batch.jsonl", Lines(2));
        (await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"))).ExitCode.Should().Be(0);

        var again = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"), "--rerun", "take-2");
        var resumed = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"), "--rerun", "take-2");

        again.ExitCode.Should().Be(0, again.Stderr);
        resumed.ExitCode.Should().Be(0, resumed.Stderr);
        resumed.Stderr.Should().Contain("2 already done");
        run.Simulator.CreatedTasks.Should().HaveCount(4, "--rerun sends each line once more, and only once");
    }

    [Fact]
    public async Task An_id_sent_earlier_with_another_request_is_refused_before_anything_is_sent()
    {
        await using var run = await CliRun.StartAsync();
        (await run.RunAsync("batch", run.Write("one.jsonl", """{"id":"1","prompt":"A kite"}""" + "\n"), "--out", Path.Combine(run.Folder, "v"))).ExitCode.Should().Be(0);

        var other = await run.RunAsync("batch", run.Write("two.jsonl", """{"id":"1","prompt":"A different kite"}""" + "\n"), "--out", Path.Combine(run.Folder, "v"));

        other.ExitCode.Should().Be(2, other.Stderr);
        other.Stderr.Should().Contain("the id \"1\" was sent").And.Contain("--rerun");
        run.Simulator.CreatedTasks.Should().HaveCount(1);
    }

    [Fact]
    public async Task Lock_files_nobody_holds_are_removed_and_a_run_leaves_none()
    {
        await using var run = await CliRun.StartAsync();
        Directory.CreateDirectory(Path.GetDirectoryName(run.Ledger)!);
        var stale = Path.Combine(Path.GetDirectoryName(run.Ledger)!, "batch-0123456789abcdef.lock");
        await File.WriteAllTextAsync(stale, string.Empty);

        var result = await run.RunAsync("batch", run.Write("b.jsonl", Lines(1)), "--out", Path.Combine(run.Folder, "v"));

        result.ExitCode.Should().Be(0, result.Stderr);
        Directory.EnumerateFiles(Path.GetDirectoryName(run.Ledger)!, "*.lock").Should().BeEmpty();
    }

    [Fact]
    public async Task Out_naming_a_regular_file_is_refused_before_anything_is_sent()
    {
        await using var run = await CliRun.StartAsync();
        var notAFolder = run.Write("out.txt", "a file");

        var result = await run.RunAsync("batch", run.Write("b.jsonl", Lines(3)), "--out", notAFolder);

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Should().Contain("--out").And.Contain("Nothing was sent");
        run.Simulator.RequestCount.Should().Be(0);
    }

    [Fact]
    public async Task Interrupted_batch_prints_a_resume_command_without_the_key()
    {
        await using var run = await CliRun.StartAsync(o => o.GeneratingFor = TimeSpan.FromSeconds(30));
        var file = run.Write("b.jsonl", Lines(3));
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (run.Simulator.CreatedTasks.Count < 3)
            {
                await Task.Delay(20);
            }

            await stop.CancelAsync();
        });

        var result = await CliRun.InProcessAsync(["batch", file, "--out", Path.Combine(run.Folder, "v"), .. run.Service], stop.Token);
        await watcher;

        result.ExitCode.Should().Be(130, result.Stderr);
        var resume = result.Stderr.Split('\n').Single(l => l.Contains("Resume with:", StringComparison.Ordinal));
        var command = result.Stderr.Split('\n').SkipWhile(l => !l.Contains("Resume with:", StringComparison.Ordinal)).Skip(1).First().Trim();
        resume.Should().NotContain(CliRun.Key).And.Contain("export KIE_API_KEY=").And.Contain("--api-key-file");
        command.Should().StartWith("kling batch").And.NotContain(CliRun.Key).And.NotContain("--api-key", "the command on its own line is only the command");
        (await ShellWords.SplitAsync(command)).Should().NotContain(w => w.Contains('(') || w.Contains(')'), "it pastes as words, with no prose");
    }

    [Fact]
    public async Task Interrupted_batch_resume_command_does_not_print_the_password_of_the_base_url()
    {
        await using var run = await CliRun.StartAsync(o => o.GeneratingFor = TimeSpan.FromSeconds(30));
        var file = run.Write("b.jsonl", Lines(2));
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (run.Simulator.CreatedTasks.Count < 2)
            {
                await Task.Delay(20);
            }

            await stop.CancelAsync();
        });
        var url = new UriBuilder(run.Simulator.BaseUrl) { UserName = "user", Password = "PASSWORD-9d1" }.Uri.ToString();

        var result = await CliRun.InProcessAsync(["batch", file, "--out", Path.Combine(run.Folder, "v"), "--base-url", url, "--api-key-file", run.Write("key", CliRun.Key), "--ledger", run.Ledger], stop.Token);
        await watcher;

        result.ExitCode.Should().Be(130, result.Stderr);
        var resume = result.Stderr.Split('\n').Single(l => l.Contains("Resume with:", StringComparison.Ordinal));
        var command = result.Stderr.Split('\n').SkipWhile(l => !l.Contains("Resume with:", StringComparison.Ordinal)).Skip(1).First().Trim();
        resume.Should().Contain("export KIE_BASE_URL=").And.Contain("user:password@");
        command.Should().StartWith("kling batch").And.NotContain("--base-url", "the URL with its password comes from KIE_BASE_URL");
        (await ShellWords.SplitAsync(command)).Should().Contain("--api-key-file");
        (result.Stdout + result.Stderr).Should().NotContain("PASSWORD-9d1");
    }
}
