using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests;

/// <summary>
/// Shipped packages use each other only through the public API: once package versions drift apart, a call into another
/// package's internals fails at run time. InternalsVisibleTo is left for the test and benchmark assemblies.
/// </summary>
public sealed partial class PackageSeamTests
{
    [Fact]
    public void InternalsVisibleTo_in_the_project_files_names_only_test_and_benchmark_assemblies()
    {
        var allowed = TestAndBenchmarkAssemblyNames();
        allowed.Should().Contain("KlingGenerated.Tests").And.Contain("KlingGenerated.Benchmarks");

        var granted = new List<(string File, string Friend)>();
        foreach (var project in Directory.EnumerateFiles(Path.Combine(Repo.Root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            granted.AddRange(XDocument.Load(project).Descendants()
                .Where(e => e.Name.LocalName == "InternalsVisibleTo")
                .Select(e => (Path.GetRelativePath(Repo.Root, project), (string?)e.Attribute("Include") ?? string.Empty)));
        }

        foreach (var source in Directory.EnumerateFiles(Path.Combine(Repo.Root, "src"), "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            granted.AddRange(AssemblyAttribute().Matches(File.ReadAllText(source))
                .Select(m => (Path.GetRelativePath(Repo.Root, source), m.Groups[1].Value.Split(',')[0].Trim())));
        }

        granted.Should().NotBeEmpty("the library grants its tests access to its internals");
        granted.Where(g => !allowed.Contains(g.Friend)).Should().BeEmpty(
            "InternalsVisibleTo may name only assemblies built from tests/ or benchmarks/ ({0})", string.Join(", ", allowed));
    }

    [Fact]
    public void The_shipped_assemblies_grant_their_internals_only_to_test_and_benchmark_assemblies()
    {
        var allowed = TestAndBenchmarkAssemblyNames();
        Assembly[] shipped =
        [
            typeof(KlingClient).Assembly,
            typeof(KlingGenerated.Simulator.KlingSimulator).Assembly,
            typeof(KlingGenerated.Redis.KlingRedisCreateTaskPacer).Assembly,
            typeof(KlingGenerated.AI.KlingAITools).Assembly,
            typeof(KlingGenerated.Cli.ExitCodes).Assembly,
        ];

        var friends = shipped.SelectMany(a => a.GetCustomAttributes<InternalsVisibleToAttribute>()
            .Select(attribute => (Assembly: a.GetName().Name, Friend: attribute.AssemblyName.Split(',')[0].Trim()))).ToList();

        friends.Should().Contain(f => f.Assembly == "KlingGenerated" && f.Friend == "KlingGenerated.Tests");
        friends.Where(f => !allowed.Contains(f.Friend)).Should().BeEmpty("a shipped package must not see another package's internals");
    }

    /// <summary>The assembly names of the projects under tests/ and benchmarks/ (their AssemblyName, or the project file's name).</summary>
    private static HashSet<string> TestAndBenchmarkAssemblyNames() =>
        [.. new[] { "tests", "benchmarks" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(Repo.Root, folder), "*.csproj", SearchOption.AllDirectories))
            .Select(project => XDocument.Load(project).Descendants().FirstOrDefault(e => e.Name.LocalName == "AssemblyName")?.Value
                ?? Path.GetFileNameWithoutExtension(project))];

    [GeneratedRegex(@"\[\s*assembly\s*:\s*(?:System\.Runtime\.CompilerServices\.)?InternalsVisibleTo(?:Attribute)?\s*\(\s*""([^""]+)""")]
    private static partial Regex AssemblyAttribute();
}

/// <summary>The public contract seam the simulator and the CLI use instead of the library's internals.</summary>
public sealed class OpenApiContractTests
{
    [Fact]
    public void ValidateRequest_accepts_a_valid_createTask_and_names_each_violation_of_an_invalid_one()
    {
        var valid = """{"model":"kling/v2-5-turbo-text-to-video-pro","input":{"prompt":"a cat"}}""";
        OpenApi.KlingOpenApiContract.ValidateRequest("POST", "api/v1/jobs/createTask", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(valid)))
            .Should().BeEmpty();

        var invalid = """{"model":"kling/v2-5-turbo-text-to-video-pro","input":{"prompt":"a cat","aspect_ratio":"4:3"}}""";
        OpenApi.KlingOpenApiContract.ValidateRequest("POST", "/api/v1/jobs/createTask", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(invalid)))
            .Should().ContainSingle().Which.Should().Contain("aspect_ratio");
        OpenApi.KlingOpenApiContract.ValidateRequest("DELETE", "api/v1/jobs/createTask", null)
            .Should().ContainSingle().Which.Should().Contain("is not an operation");
    }

    [Fact]
    public void ValidateOperationBody_finds_the_operation_by_its_id_and_refuses_an_id_the_document_lacks()
    {
        static MemoryStream Body(string json) => new(System.Text.Encoding.UTF8.GetBytes(json));

        OpenApi.KlingOpenApiContract.ValidateOperationBody("CreateTask", Body("""{"model":"kling/v2-5-turbo-text-to-video-pro","input":{"prompt":"a cat"}}"""))
            .Should().BeEmpty();
        OpenApi.KlingOpenApiContract.ValidateOperationBody("CreateTask", Body("""{"model":"kling/v2-5-turbo-text-to-video-pro","input":{"prompt":"a cat","aspect_ratio":"4:3"}}"""))
            .Should().ContainSingle().Which.Should().Contain("aspect_ratio");
        var unknown = () => OpenApi.KlingOpenApiContract.ValidateOperationBody("NoSuchOperation", Body("{}"));
        unknown.Should().Throw<ArgumentException>().WithMessage("*NoSuchOperation*");
    }

    [Fact]
    public void KeepDeclaredProperties_drops_undeclared_fields_recursively_and_refuses_an_unknown_schema()
    {
        var request = System.Text.Json.Nodes.JsonNode.Parse("""{"model":"m","extra":1,"input":{"prompt":"p","secret":"x"}}""")!.AsObject();

        var kept = OpenApi.KlingOpenApiContract.KeepDeclaredProperties(request, "CreateTaskRequest");

        kept.ToJsonString().Should().Be("""{"model":"m","input":{"prompt":"p"}}""");
        var unknown = () => OpenApi.KlingOpenApiContract.KeepDeclaredProperties(request, "NoSuchSchema");
        unknown.Should().Throw<ArgumentException>().WithMessage("*NoSuchSchema*");
    }

    [Fact]
    public void WireNames_list_and_parse_the_document_words_of_a_generated_enum()
    {
        WireNames<AspectRatio>.All.Should().Equal("16:9", "9:16", "1:1");
        WireNames<AspectRatio>.Parse("9:16").Should().Be(AspectRatio.Portrait9x16);
        WireNames<AspectRatio>.Parse("4:3").Should().BeNull();
        WireNames<VideoDuration>.ToWire(WireNames<VideoDuration>.Parse("10")!.Value).Should().Be("10");
    }

    [Fact]
    public void EnsureRecordOf_refuses_a_record_of_another_task_and_accepts_its_own_or_an_unnamed_one()
    {
        KlingClient.EnsureRecordOf("t1", new TaskRecord { TaskId = "t1" });
        KlingClient.EnsureRecordOf("t1", new TaskRecord());
        var other = () => KlingClient.EnsureRecordOf("t1", new TaskRecord { TaskId = "t2" });
        other.Should().Throw<KlingApiException>();
    }
}
