namespace KlingGenerated.Tests.Cli;

/// <summary>A misspelled option is refused before anything is sent; it never becomes the prompt, a task id or a batch file.</summary>
public sealed class OptionTypoTests
{
    [Theory]
    [InlineData("unknown option '--no-wiat' for `kling generate`; did you mean '--no-wait'?", "generate", "--no-wiat")]
    [InlineData("unknown option '--dry-run' for `kling generate`.", "generate", "--dry-run", "--no-wait")]
    [InlineData("unknown option '-v' for `kling generate`.", "generate", "-v", "--no-wait")]
    [InlineData("unknown option '--no-wiat' for `kling generate`; did you mean '--no-wait'?", "generate", "A kite", "--no-wiat")]
    [InlineData("unknown option '--jsn' for `kling status`; did you mean '--json'?", "status", "--jsn")]
    [InlineData("unknown option '--ovewrite' for `kling download`", "download", "--ovewrite")]
    [InlineData("unknown option '--dry-run' for `kling batch`.", "batch", "--dry-run")]
    public async Task An_option_typo_is_refused_and_never_becomes_the_prompt_or_an_argument(string expected, params string[] args)
    {
        await using var run = await CliRun.StartAsync();

        var result = await run.RunAsync(args);

        result.ExitCode.Should().Be(2, result.Stderr);
        var line = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle().Subject;
        line.Should().StartWith("error: " + expected).And.EndWith("nothing was sent.");
        run.Simulator.CreatedTasks.Should().BeEmpty();
        File.Exists(run.Ledger).Should().BeFalse("nothing was recorded either");
    }

    [Fact]
    public async Task A_prompt_that_starts_with_a_dash_is_accepted_after_double_dash()
    {
        await using var run = await CliRun.StartAsync();

        var result = await CliRun.InProcessAsync([.. run.Service, "generate", "--no-wait", "--", "-dash prompt"]);

        result.ExitCode.Should().Be(0, result.Stderr);
        run.Simulator.CreatedTasks.Should().ContainSingle().Which.Value.Should().Contain("\"prompt\":\"-dash prompt\"");
    }

    [Fact]
    public async Task An_option_value_that_starts_with_a_dash_is_still_a_value()
    {
        await using var run = await CliRun.StartAsync();

        var result = await run.RunAsync("generate", "A kite", "--negative-prompt", "-blurry", "--no-wait");

        result.ExitCode.Should().Be(0, result.Stderr);
        run.Simulator.CreatedTasks.Should().ContainSingle().Which.Value.Should().Contain("\"negative_prompt\":\"-blurry\"");
    }
}
