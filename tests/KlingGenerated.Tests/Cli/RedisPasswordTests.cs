using KlingGenerated.Cli;
using KlingGenerated.Redis.ScaleOut;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Cli;

/// <summary>kling batch --redis with a password (a real redis-server with requirepass): the password is printed nowhere, neither in the "Resume with:" line after Ctrl+C nor in --verbose output.</summary>
public sealed class RedisPasswordTests
{
    private const string Password = "redis-S3cret-pw-4471";

    [Fact]
    public async Task The_redis_password_is_not_printed_in_the_resume_line_after_Ctrl_C_nor_with_verbose()
    {
        await using var redis = await RedisServer.StartAsync(Password);
        await using var simulator = await LedgerTests.StartSimulatorAsync(rateLimit: 2, window: TimeSpan.FromSeconds(2));
        var dir = KlingProcess.NewDirectory();
        await File.WriteAllLinesAsync(Path.Combine(dir, "paced.jsonl"), Enumerable.Range(1, 10).Select(i => $$"""{"id":"p{{i}}","prompt":"Paced clip {{i}}"}"""));
        string[] args = ["batch", "paced.jsonl", "--out", "v", "--ledger", Path.Combine(dir, "tasks.db"), "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString(),
                         "--rate-limit", "2", "--rate-window", "2", "--redis", redis.Configuration, "--verbose"];
        var output = new StringWriter();
        var error = new StringWriter();
        using var ctrlC = new CancellationTokenSource(); // Program.cs turns Ctrl+C into this token's cancellation

        var run = KlingCli.RunAsync(args, output, error, ctrlC.Token,
            new CliTerminal(Live: false, Ansi: false, Width: () => 80, TimeProvider.System),
            new CliEnvironment(_ => null, Path.GetFullPath(dir)));
        using (var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
        {
            while (simulator.CreatedTasks.Count < 1 && !run.IsCompleted)
            {
                await Task.Delay(50, deadline.Token);
            }
        }

        await ctrlC.CancelAsync();
        var exitCode = await run.WaitAsync(TimeSpan.FromMinutes(2));

        var stderr = error.ToString();
        exitCode.Should().Be(130, stderr);
        simulator.CreatedTasks.Should().NotBeEmpty("the batch paced its creates through the password-protected Redis");
        var resume = stderr.Split('\n').SkipWhile(l => !l.Contains("Resume with:", StringComparison.Ordinal)).Skip(1).First().Trim();
        resume.Should().StartWith("kling batch paced.jsonl").And.Contain("--redis").And.Contain("password=***");
        stderr.Should().Contain("Resume with:").And.NotContain(Password);
        output.ToString().Should().NotContain(Password);
    }
}
