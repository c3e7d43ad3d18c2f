using System.Diagnostics;
using KlingGenerated.Cli;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Cli;

/// <summary><c>kling completion bash|zsh|pwsh</c>: the scripts complete commands, options and values from the parser itself.</summary>
public sealed class CompletionTests
{
    [Theory]
    [InlineData(new[] { "gen" }, "generate")]
    [InlineData(new[] { "ba" }, "batch")]
    [InlineData(new[] { "generate", "--dur" }, "--duration")]
    [InlineData(new[] { "generate", "--duration", "" }, "5")]
    [InlineData(new[] { "generate", "--aspect-ratio", "9" }, "9:16")]
    [InlineData(new[] { "completion", "" }, "zsh")]
    public async Task The_hidden_complete_command_lists_what_may_follow_the_words(string[] words, string expected)
    {
        var output = new StringWriter();
        (await KlingCli.RunAsync(["__complete", "--", .. words], output, new StringWriter())).Should().Be(0);

        output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Contain(expected).And.NotContain(c => c.StartsWith("__", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Help_does_not_list_the_hidden_complete_command()
    {
        var help = new StringWriter();
        (await KlingCli.RunAsync(["--help"], help, new StringWriter())).Should().Be(0);

        help.ToString().Should().Contain("completion").And.NotContain("__complete");
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _kling_completions kling")]
    [InlineData("zsh", "compdef _kling kling")]
    [InlineData("pwsh", "Register-ArgumentCompleter -Native -CommandName kling")]
    public async Task Each_shell_gets_its_script(string shell, string registers)
    {
        var output = new StringWriter();
        (await KlingCli.RunAsync(["completion", shell], output, new StringWriter())).Should().Be(0);

        output.ToString().Should().Contain(registers).And.Contain("kling __complete --");
    }

    [Fact]
    [Trait("Category", "Slow")] // starts bash and kling processes
    public async Task The_bash_script_sourced_in_bash_completes_a_command_and_an_option_value()
    {
        var bin = AppContext.BaseDirectory;
        string script = """
            source <(kling completion bash)
            COMP_WORDS=(kling gen); COMP_CWORD=1; _kling_completions; echo "1:${COMPREPLY[*]}"
            COMP_WORDS=(kling generate --duration ''); COMP_CWORD=3; _kling_completions; echo "2:${COMPREPLY[*]}"
            """;
        var start = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        var lines = (await stdout).Split('\n');
        lines.Should().Contain("1:generate", await stderr);
        lines.Single(l => l.StartsWith("2:", StringComparison.Ordinal)).Split(' ', ':').Should().Contain(["5", "10"]);
        File.Exists(Path.Combine(bin, "kling")).Should().BeTrue("the test runs the kling built beside it");
    }
}
