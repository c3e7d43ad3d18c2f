using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Cli;

/// <summary>
/// Ctrl+C (SIGINT) at random moments of generate, wait and batch: every run prints its message and exits 130. A process
/// test, because the signal handling is the process's: the built apphost runs directly, several at once.
/// </summary>
[Trait("Category", "Slow")] // over 100 real processes interrupted at random moments
public sealed class CtrlCTests(ITestOutputHelper log)
{
    private const int SigInt = 2;
    private const int RunsPerCommand = 34;
    private const int AtOnce = 6;

    [Fact]
    public async Task Ctrl_C_at_random_moments_of_generate_wait_and_batch_prints_its_message_and_exits_130_every_time()
    {
        var root = Infrastructure.KlingProcess.NewDirectory();
        var ledger = Path.Combine(root, "ledger", "tasks.db");
        var batch = Path.Combine(root, "b.jsonl");
        await File.WriteAllTextAsync(batch, string.Concat(Enumerable.Range(1, 3).Select(i => $$"""{"prompt":"Clip {{i}}"}""" + "\n")));
        var created = await RunAsync(root, ledger, ["generate", "A kite", "--no-wait"], signalAfter: null);
        created.Code.Should().Be(0, created.Stderr);
        var taskId = created.Stdout.Trim();

        var random = new Random(20261205);
        var plan = Enumerable.Range(0, RunsPerCommand).SelectMany(i => new[]
        {
            (Name: "generate", Args: new[] { "generate", $"Clip {i}", "--out", Path.Combine(root, "v") }, Delay: random.Next(0, 800)),
            (Name: "wait", Args: new[] { "wait", taskId, "--out", Path.Combine(root, "v"), "--overwrite" }, Delay: random.Next(0, 600)),
            (Name: "batch", Args: new[] { "batch", batch, "--out", Path.Combine(root, "v"), "--rerun", $"r{i}" }, Delay: random.Next(0, 800)),
        }).ToList();
        var outcomes = new ConcurrentBag<(string Name, int Code, bool Message, bool FinishedFirst, string Stderr)>();
        using var slots = new SemaphoreSlim(AtOnce);
        await Task.WhenAll(plan.Select(async run =>
        {
            await slots.WaitAsync();
            try
            {
                var result = await RunAsync(root, ledger, run.Args, run.Delay);
                var message = result.Stderr.Contains("error: cancelled", StringComparison.Ordinal) || result.Stderr.Contains("Interrupted:", StringComparison.Ordinal);
                outcomes.Add((run.Name, result.Code, message, result.FinishedFirst, result.Stderr));
            }
            finally
            {
                slots.Release();
            }
        }));

        foreach (var group in outcomes.GroupBy(o => o.Name))
        {
            log.WriteLine($"{group.Key}: {group.Count()} runs, {group.Count(o => o.Code == 130 && o.Message)} exited 130 with the message, {group.Count(o => o.FinishedFirst)} ended before the signal");
        }

        outcomes.Should().HaveCountGreaterThanOrEqualTo(100);
        outcomes.Where(o => !o.FinishedFirst).Should().OnlyContain(o => o.Code == 130 && o.Message, "every interrupted run says what happened and exits 130");
        outcomes.Count(o => !o.FinishedFirst).Should().BeGreaterThanOrEqualTo(90, "the signal comes while nearly every run is still working");
    }

    [Fact]
    public async Task Two_SIGINTs_back_to_back_are_one_Ctrl_C_so_the_batch_still_prints_its_resume_line_and_exits_130()
    {
        // A task that never ends, so the batch is surely waiting for it when the signals come.
        await using var service = HostileKling.Service("task_twice", state: "generating");
        var root = Infrastructure.KlingProcess.NewDirectory();
        var ledger = Path.Combine(root, "tasks.db");
        await File.WriteAllTextAsync(Path.Combine(root, "one.jsonl"), """{"id":"twice","prompt":"A paper boat"}""" + "\n");
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "kling")) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in HostileKling.Against(service, "batch", "one.jsonl", "--out", "v"))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("KIE_API_KEY");
        start.Environment.Remove("KIE_API_KEY_FILE");
        start.Environment.Remove("KIE_BASE_URL");
        start.Environment["KLING_LEDGER"] = ledger;
        using var process = Process.Start(start.WithDefaultInterrupt())!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        var reading = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (stderr)
                {
                    stderr.AppendLine(line);
                }
            }
        });
        string Errors()
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (!Errors().Contains("created task_twice", StringComparison.Ordinal) && !process.HasExited)
        {
            await Task.Delay(50, timeout.Token);
        }

        // Back to back, as `timeout -s INT` and a terminal's process group sometimes deliver one Ctrl+C.
        Kill(process.Id, SigInt).Should().Be(0, Errors());
        Kill(process.Id, SigInt);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("kling batch did not exit within 90 s of two SIGINTs: " + Errors());
        }

        await reading;
        _ = await stdout;
        var errors = Errors();
        process.ExitCode.Should().Be(130, errors);
        errors.Should().Contain("Interrupted: submitting stopped").And.Contain("Resume with:").And.NotContain("interrupted again");
        errors.Split('\n').SkipWhile(l => !l.Contains("Resume with:", StringComparison.Ordinal)).Skip(1).First().Trim().Should().StartWith("kling batch one.jsonl");
        LedgerTests.Rows(ledger, "SELECT task_id FROM submissions").Select(r => (string?)r["task_id"]).Should().Equal(["task_twice"], "the paid task id is in the ledger");
    }

    /// <summary>Runs the apphost; with <paramref name="signalAfter"/>, sends SIGINT that many ms after its first output on stderr (it is running by then).</summary>
    private static async Task<(int Code, string Stdout, string Stderr, bool FinishedFirst)> RunAsync(string root, string ledger, string[] args, int? signalAfter)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "kling")) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("KIE_API_KEY");
        start.Environment.Remove("KIE_API_KEY_FILE");
        start.Environment.Remove("KIE_BASE_URL");
        start.Environment["KLING_LEDGER"] = ledger;
        using var process = Process.Start(start.WithDefaultInterrupt())!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var firstLine = process.StandardError.ReadLineAsync();
        var finishedFirst = false;
        var rest = Task.FromResult(string.Empty);
        var first = await firstLine;
        rest = process.StandardError.ReadToEndAsync();
        if (signalAfter is { } delay)
        {
            await Task.Delay(delay);
            finishedFirst = process.HasExited || Kill(process.Id, SigInt) != 0;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kling {string.Join(' ', args)} did not exit within 90 s of Ctrl+C.");
        }

        finishedFirst |= signalAfter is not null && process.ExitCode != 130 && !(first + await rest).Contains("cancelled", StringComparison.Ordinal) && process.ExitCode == 0;
        return (process.ExitCode, await stdout, first + "\n" + await rest, finishedFirst);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
