using System.Reflection;
using System.Text.RegularExpressions;
using KlingGenerated.Cli;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests;

/// <summary>
/// The package READMEs (what NuGet shows) stay current: every packable project has one, and the CLI's names every
/// command `kling --help` lists and every exit code ExitCodes defines, as does the CLI reference in docs/.
/// </summary>
public sealed class PackageReadmeTests
{
    [Fact]
    public void Every_packable_project_under_src_has_its_README()
    {
        var projects = Directory.GetFiles(Path.Combine(Repo.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => !Regex.IsMatch(p, @"[\\/](obj|bin)[\\/]"))
            .Where(p => !File.ReadAllText(p).Contains("<IsPackable>false</IsPackable>", StringComparison.Ordinal))
            .ToList();

        projects.Should().Contain(p => p.EndsWith("KlingGenerated.Redis.csproj", StringComparison.Ordinal));
        projects.Where(p => !File.Exists(Path.Combine(Path.GetDirectoryName(p)!, "README.md")))
            .Select(p => Path.GetRelativePath(Repo.Root, p))
            .Should().BeEmpty("each package ships its README (pack warns 'missing a readme' otherwise)");
    }

    [Theory]
    [InlineData("src/KlingGenerated.Cli/README.md")]
    [InlineData("docs/cli.md")]
    public async Task The_CLI_documentation_names_every_command_and_every_exit_code(string document)
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, document));
        var help = new StringWriter();
        (await KlingCli.RunAsync(["--help"], help, new StringWriter())).Should().Be(0);
        var commands = Regex.Matches(help.ToString().Split("Commands:")[1], @"^\s{2}([a-z]+)\b", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        var exitCodes = typeof(KlingCli).Assembly.GetType("KlingGenerated.Cli.ExitCodes", throwOnError: true)!
            .GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (int)f.GetRawConstantValue()!).ToList();

        commands.Should().Contain(["generate", "status", "wait", "download", "tasks", "batch", "credits", "simulator"], "the scan reads the real command list");
        exitCodes.Should().Contain([0, 2, 130], "the scan reads the real exit codes");
        commands.Where(c => !Regex.IsMatch(text, $@"^kling {c}\b", RegexOptions.Multiline)).Should().BeEmpty($"{document} shows the usage of every command");
        exitCodes.Where(c => !Regex.IsMatch(text, $@"^\| {c} \|", RegexOptions.Multiline)).Should().BeEmpty($"{document} has a row for every exit code");
    }
}
