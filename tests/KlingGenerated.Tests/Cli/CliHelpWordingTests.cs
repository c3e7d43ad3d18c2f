using System.Text.RegularExpressions;
using KlingGenerated.Cli;

namespace KlingGenerated.Tests.Cli;

/// <summary>The help reads right: values in the document's order, each default said once.</summary>
public sealed class CliHelpWordingTests
{
    [Fact]
    public async Task Generate_help_lists_the_durations_in_the_document_order()
    {
        var help = await HelpOf("generate");

        help.Should().Contain("--duration <5|10>").And.NotContain("<10|5>");
    }

    [Theory]
    [InlineData("--rate-limit")]
    [InlineData("--rate-window")]
    [InlineData("--timeout")]
    public async Task Batch_help_says_each_default_once(string option)
    {
        var help = await HelpOf("batch");
        // The option's entry: its line and the wrapped lines after it, up to the next option.
        var entry = Regex.Match(help, $@"^\s+{Regex.Escape(option)} .*?(?=^\s+-|\z)", RegexOptions.Multiline | RegexOptions.Singleline).Value;

        entry.Should().NotBeEmpty();
        Regex.Matches(entry, "default", RegexOptions.IgnoreCase).Should().ContainSingle("{0}", entry);
    }

    private static async Task<string> HelpOf(string command)
    {
        var output = new StringWriter();
        (await KlingCli.RunAsync([command, "--help"], output, new StringWriter())).Should().Be(0);
        return output.ToString();
    }
}
