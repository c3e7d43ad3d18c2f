using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace KlingGenerated.Tests.Ports;

/// <summary>
/// tests/generators/matrix.mjs: generators nobody on the project wrote, run against openapi/kling.openapi.yaml with pinned
/// versions (Kiota for eight languages, openapi-typescript + openapi-fetch, hey-api). Every row generates; the C#,
/// TypeScript and Python outputs compile; three clients run create -> wait -> result against the simulator, and those
/// and Kiota's TypeScript output read a state the document does not list as its text; every generator warning is listed, with its cause, in docs/ports.md.
/// The build generates and compiles the rows (`matrix.mjs build`, Build/GeneratorMatrix.targets); this test runs `matrix.mjs run`, which
/// refuses clients generated from other bytes of the document than the current ones.
/// </summary>
[Trait("Category", "Slow")] // seconds: four compiled clients each start a process, some a dotnet host (docs/testing.md)
public sealed class GeneratorMatrixTests
{
    private const string UnlistedState = "rendering";

    private static readonly string MatrixDirectory = Path.Combine(Repo.Root, "tests", "generators");

    private static readonly string[] Generators =
    [
        "kiota-csharp", "kiota-typescript", "kiota-python", "kiota-go", "kiota-java", "kiota-php", "kiota-ruby", "kiota-dart",
        "openapi-typescript+openapi-fetch", "hey-api",
    ];

    private static readonly string[] RunEndToEnd = ["kiota-csharp", "openapi-typescript+openapi-fetch", "hey-api"];

    // Kiota's TypeScript output reads the unlisted state; its createTask is not run (docs/ports.md: it drops a derived
    // request's fields when sending through the discriminator's base type).
    private static readonly string[] ReadTheUnlistedState = [.. RunEndToEnd, "kiota-typescript"];

    [Fact]
    public async Task Every_generator_generates_and_the_compiled_clients_run_end_to_end_and_read_an_unlisted_state_as_text()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions
        {
            AcceptedApiKey = "matrix-key",
            WaitingFor = TimeSpan.FromMilliseconds(100),
            QueuingFor = TimeSpan.FromMilliseconds(100),
            GeneratingFor = TimeSpan.FromMilliseconds(300),
        });
        using var unlisted = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
        unlisted.Given(Request.Create().WithPath("/api/v1/jobs/recordInfo").UsingGet()).RespondWith(Response.Create()
            .WithHeader("Content-Type", "application/json")
            .WithBody($$$"""{"code":200,"msg":"success","data":{"taskId":"task_unknown_state","state":"{{{UnlistedState}}}","resultJson":null}}"""));

        var matrix = await Run("node", ["matrix.mjs", "run"],
            ("KLING_BASE_URL", simulator.BaseUrl.AbsoluteUri.TrimEnd('/')),
            ("KLING_API_KEY", "matrix-key"),
            ("KLING_UNKNOWN_STATE_URL", unlisted.Urls[0]),
            ("KLING_UNKNOWN_STATE", UnlistedState));

        var rows = matrix.Output.Split('\n').Where(line => line.StartsWith("MATRIX ", StringComparison.Ordinal))
            .Select(line => JObject.Parse(line["MATRIX ".Length..])).ToDictionary(row => (string)row["generator"]!);
        rows.Keys.Should().BeEquivalentTo(Generators, matrix.Output);
        foreach (var (generator, row) in rows)
        {
            ((bool)row["generates"]!).Should().BeTrue($"{generator} generates from the document: {row}");
            (row["compiles"]!.Type == JTokenType.Null || (bool)row["compiles"]!).Should().BeTrue($"{generator}'s output compiles where the matrix compiles it: {row}");
        }

        foreach (var generator in RunEndToEnd)
        {
            ((bool?)rows[generator]["e2e"]).Should().BeTrue($"{generator} runs create -> wait -> result against the simulator: {rows[generator]}");
        }

        foreach (var generator in ReadTheUnlistedState)
        {
            ((bool?)rows[generator]["compiles"]).Should().BeTrue($"{generator}'s output is compiled: {rows[generator]}");
            ((bool?)rows[generator]["unlistedState"]).Should().BeTrue($"{generator} gives the caller the unlisted state '{UnlistedState}' as its text: {rows[generator]}");
        }

        ((bool?)rows["kiota-python"]["compiles"]).Should().BeTrue("Kiota's Python output byte-compiles");
        var documented = File.ReadAllText(Path.Combine(Repo.Root, "docs", "ports.md"));
        foreach (var (generator, row) in rows)
        {
            foreach (var warning in row["warnings"]!.Select(w => (string)w!))
            {
                documented.Should().Contain(warning, $"docs/ports.md lists every warning of the matrix with its cause ({generator})");
            }
        }

        matrix.ExitCode.Should().Be(0, matrix.Output);
        matrix.Output.Should().Contain($"matrix: {Generators.Length} of {Generators.Length} rows passed");
    }

    private static Task<(int ExitCode, string Output)> Run(string command, string[] arguments, params (string Name, string Value)[] environment) =>
        ToolProcess.RunAsync(MatrixDirectory, TimeSpan.FromMinutes(20), command, arguments, environment);
}
