using System.Diagnostics;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Conformance;

/// <summary>
/// scripts/contract-gate.mjs, the breaking-change gate: api-smart-diff compares the document with the last released one
/// (openapi/released/), and a breaking change needs a major bump and a **Breaking** changelog entry. The deliberate
/// changes are made to a copy released as the current document, so each case starts from "just released".
/// </summary>
[Trait("Category", "Slow")] // starts node several times: seconds, outside the inner loop (docs/testing.md)
public sealed class ContractGateTests : IDisposable
{
    private const string RemovedAspectRatio = "      enum: ['16:9', '9:16', '1:1']\n";
    private const string NegativePrompt = "        negative_prompt:\n          type: string\n";

    private readonly string _scratch = Directory.CreateTempSubdirectory("kling-gate-").FullName;
    private readonly string _document = File.ReadAllText(Repo.SpecPath).ReplaceLineEndings("\n");
    private readonly string _version = (string)Repo.Spec["info"]!["version"]!;

    public ContractGateTests()
    {
        // The current document, released: the starting point of every deliberate change below.
        Directory.CreateDirectory(Path.Combine(_scratch, "released", _version));
        File.WriteAllText(Path.Combine(_scratch, "released", _version, "kling.openapi.yaml"), _document);
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task The_repository_passes_the_gate_against_its_last_release()
    {
        var (exitCode, output) = await Gate();

        exitCode.Should().Be(0, output);
        output.Should().StartWith("contract gate: PASS: openapi/kling.openapi.yaml " + _version);
    }

    [Fact]
    public async Task A_removed_enum_value_with_a_minor_bump_fails_with_the_tools_finding()
    {
        var (exitCode, output) = await Gate(Breaking(), NextMinor, Changelog(NextMinor, "Compatible"));

        exitCode.Should().Be(1, output);
        output.Should().Contain("breaking change(s) without a major version bump")
            .And.Contain("/components/schemas/AspectRatio/enum/2 (was \"1:1\")", "the message carries api-smart-diff's finding");
    }

    [Fact]
    public async Task A_removed_enum_value_with_a_major_bump_but_no_breaking_entry_fails()
    {
        var (exitCode, output) = await Gate(Breaking(), NextMajor, Changelog(NextMajor, "Compatible"));

        exitCode.Should().Be(1, output);
        output.Should().Contain("has no \"- **Breaking** — \" entry").And.Contain("/components/schemas/AspectRatio/enum/2");
    }

    [Fact]
    public async Task A_removed_enum_value_with_a_major_bump_and_a_breaking_entry_passes()
    {
        var (exitCode, output) = await Gate(Breaking(), NextMajor, Changelog(NextMajor, "Breaking"));

        exitCode.Should().Be(0, output);
        output.Should().Contain("contract gate: PASS").And.MatchRegex(@"\(api-smart-diff: [1-9]\d* breaking");
    }

    [Fact]
    public async Task A_new_optional_input_field_with_a_minor_bump_and_an_entry_passes_with_no_breaking_finding()
    {
        var (exitCode, output) = await Gate(Compatible(), NextMinor, Changelog(NextMinor, "Compatible"));

        exitCode.Should().Be(0, output);
        output.Should().Contain("(api-smart-diff: 0 breaking, ").And.MatchRegex(@"[1-9]\d* non-breaking");
    }

    [Fact]
    public async Task A_tightened_rule_in_the_documents_data_with_a_minor_bump_fails_naming_the_rule()
    {
        // api-smart-diff leaves x- extensions unclassified; a smaller callback body limit would refuse callbacks a port accepts.
        const string limit = "                  maxBytes: 1048576\n";
        _document.Should().Contain(limit);
        var (exitCode, output) = await Gate(_document.Replace(limit, "                  maxBytes: 65536\n", StringComparison.Ordinal), NextMinor, Changelog(NextMinor, "Compatible"));

        exitCode.Should().Be(1, output);
        output.Should().Contain("1 rule data changed").And.Contain("x-kling-callback-checks/body/maxBytes (was 1048576) (a rule stated as data changed)");
    }

    [Fact]
    public async Task A_compatible_change_without_a_version_bump_fails()
    {
        var (exitCode, output) = await Gate(Compatible(), _version, Changelog(_version, "Compatible"));

        exitCode.Should().Be(1, output);
        output.Should().Contain("the document changed since its release but info.version is still " + _version);
    }

    [Fact]
    public async Task A_bump_without_a_changelog_section_fails()
    {
        var (exitCode, output) = await Gate(Compatible(), NextMinor, Changelog(_version, "Compatible"));

        exitCode.Should().Be(1, output);
        output.Should().Contain($"the topmost section of changelog.md is {_version}, not {NextMinor}");
    }

    private string NextMinor => $"{Version.Parse(_version).Major}.{Version.Parse(_version).Minor + 1}.0";

    private string NextMajor => $"{Version.Parse(_version).Major + 1}.0.0";

    /// <summary>'1:1' removed from AspectRatio: a request a port sends today is refused.</summary>
    private string Breaking()
    {
        _document.Should().Contain(RemovedAspectRatio);
        return _document.Replace(RemovedAspectRatio, "      enum: ['16:9', '9:16']\n", StringComparison.Ordinal);
    }

    /// <summary>A new optional input field: every request a port sends today is still valid.</summary>
    private string Compatible()
    {
        _document.Should().Contain(NegativePrompt);
        return _document.Replace(NegativePrompt, "        watermark:\n          type: boolean\n          description: Whether to add a watermark.\n" + NegativePrompt, StringComparison.Ordinal);
    }

    private static string Changelog(string version, string mark) =>
        $"# Contract changelog\n\n## {version} — unreleased\n\n- **{mark}** — The deliberate change. Vectors: none.\n";

    private async Task<(int ExitCode, string Output)> Gate(string? document = null, string? version = null, string? changelog = null)
    {
        var arguments = new List<string> { Path.Combine("scripts", "contract-gate.mjs") };
        if (document is not null)
        {
            var changed = document.Replace($"\n  version: {_version}\n", $"\n  version: {version}\n", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(_scratch, "kling.openapi.yaml"), changed);
            File.WriteAllText(Path.Combine(_scratch, "changelog.md"), changelog);
            arguments.AddRange(["--document", Path.Combine(_scratch, "kling.openapi.yaml"), "--released", Path.Combine(_scratch, "released"), "--changelog", Path.Combine(_scratch, "changelog.md")]);
        }

        File.Exists(Path.Combine(Repo.Root, "node_modules", "api-smart-diff", "package.json")).Should()
            .BeTrue("the pinned api-smart-diff is installed by `npm ci` at the repository root (.ci/run does it)");
        var start = new ProcessStartInfo("node", arguments) { WorkingDirectory = Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await output + await error).Replace(_scratch + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal));
    }
}
