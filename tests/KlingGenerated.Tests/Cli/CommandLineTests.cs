namespace KlingGenerated.Tests.Cli;

/// <summary>The command line people expect: service options anywhere, a root --help that lists them, clean typo sentences.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task Service_options_are_accepted_before_the_command_as_well_as_after_it()
    {
        await using var run = await CliRun.StartAsync();

        var before = await CliRun.InProcessAsync([.. run.Service, "generate", "A kite", "--no-wait"]);
        var mixed = await CliRun.InProcessAsync(["--base-url", run.Simulator.BaseUrl.ToString(), "--json", "credits", "--api-key", CliRun.Key]);

        before.ExitCode.Should().Be(0, before.Stderr);
        run.Simulator.CreatedTasks.Should().ContainSingle().Which.Key.Should().Be(before.Stdout.Trim());
        mixed.ExitCode.Should().Be(0, mixed.Stderr);
        mixed.Stdout.Should().Contain("\"credits\"");
    }

    [Fact]
    public async Task The_root_help_lists_the_service_options()
    {
        var help = await CliRun.InProcessAsync(["--help"]);

        help.ExitCode.Should().Be(0);
        help.Stdout.Should().Contain("--base-url").And.Contain("--api-key-file").And.Contain("--api-key ").And.Contain("--json").And.Contain("--ledger").And.Contain("--verbose");
    }

    [Theory]
    [InlineData("unknown command 'genrate' for `kling`; did you mean 'generate'?", "genrate", "x")]
    [InlineData("unknown command 'x' for `kling`. Commands: generate,", "x", "y")]
    [InlineData("unknown option '--jsn' for `kling tasks`; did you mean '--json'?", "tasks", "--jsn", "--stat", "x")]
    public async Task A_typo_reads_as_one_clean_sentence(string expected, params string[] args)
    {
        var result = await CliRun.InProcessAsync(args);

        result.ExitCode.Should().Be(2);
        var line = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle().Subject;
        line.Should().StartWith("error: " + expected).And.EndWith("nothing was sent.");
        line.Should().NotContain("was not matched").And.NotContain("''").And.NotContain("'-h'");
    }
}
