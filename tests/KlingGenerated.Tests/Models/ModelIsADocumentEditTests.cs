using System.Diagnostics;
using System.Security.Cryptography;
using KlingGenerated.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KlingGenerated.Tests.Models;

/// <summary>
/// A model is an edit of the document: a copy of the repository's sources whose only changed file is the document (a
/// fictitious model with a field of each kind added) builds a client and a simulator that serve, validate and price it,
/// and a task of it runs create, wait, MP4 with no hand-written change.
/// </summary>
public sealed class ModelIsADocumentEditTests(ITestOutputHelper output)
{
    private const string Model = "kling-lab/storyboard";

    // The fictitious model's request and input: a string with a length, an enum, a number with a step, a boolean, a URL array.
    private const string Schemas = """
            KlingLabStoryboardRequest:
              description: 'A request for `kling-lab/storyboard` (fictitious, made by the proof test).'
              allOf:
                - $ref: '#/components/schemas/VideoTaskRequest'
                - type: object
                  required: [input]
                  properties:
                    input:
                      $ref: '#/components/schemas/KlingLabStoryboardInput'
            KlingLabStoryboardInput:
              type: object
              description: 'What `kling-lab/storyboard` generates.'
              required: [prompt, caption, style, strength, loop, reference_urls]
              properties:
                prompt:
                  $ref: '#/components/schemas/Kling26Prompt'
                caption:
                  type: string
                  minLength: 3
                  maxLength: 40
                  x-utf16-maxLength: 40
                  description: A caption burnt into the video, 3 to 40 characters.
                style:
                  type: string
                  enum: [ink, neon]
                  x-enumNames: [Ink, Neon]
                  x-enum-varnames: [Ink, Neon]
                  description: The drawing style.
                strength:
                  type: number
                  format: double
                  minimum: 0
                  maximum: 2
                  multipleOf: 0.5
                  x-multipleOf-tolerance: 1.0e-9
                  description: How strongly the style applies, 0 to 2 in steps of 0.5.
                loop:
                  type: boolean
                  description: Whether the video loops; it changes the price.
                reference_urls:
                  type: array
                  minItems: 1
                  maxItems: 2
                  description: One or two reference images.
                  items:
                    $ref: '#/components/schemas/ImageUrl'

        """;

    private const string Program = """
        using System.Text;
        using KlingGenerated;
        using KlingGenerated.OpenApi;
        using KlingGenerated.Simulator;
        using Newtonsoft.Json.Linq;

        var model = args[0];
        var fast = TimeSpan.FromMilliseconds(50);
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { Credits = 1000, WaitingFor = fast, QueuingFor = fast, GeneratingFor = fast });
        var client = new KlingClient(new KlingClientOptions { ApiKey = simulator.ApiKey, BaseUrl = simulator.BaseUrl });
        var info = KlingModels.Find(model) ?? throw new InvalidOperationException("no model " + model);
        Console.WriteLine($"type {info.RequestType.Name} fields {string.Join(",", info.Inputs.Select(f => $"{f.Name}:{f.Type}"))}");

        var valid = new JObject
        {
            ["model"] = model,
            ["input"] = new JObject { ["prompt"] = "A storyboard of a paper boat.", ["caption"] = "Rain", ["style"] = "ink", ["strength"] = 1.5, ["loop"] = true, ["reference_urls"] = new JArray("https://example.com/ref.png") },
        };
        var request = valid.ToObject<VideoTaskRequest>()!;
        Console.WriteLine($"request {request.GetType().Name} {request.Model} price {client.Options.Pricing.PriceOf(request)}");
        var record = await client.GenerateVideoAsync(request, new KlingPollingOptions { InitialDelay = fast, MaxDelay = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(30) });
        using var http = new HttpClient();
        var video = await http.GetByteArrayAsync(record.GetResultUrls().Single());
        Console.WriteLine($"record {record.Model} {record.State} credits {record.CreditsConsumed} mp4 {video.Length} {Encoding.ASCII.GetString(video, 4, 4)}");
        Console.WriteLine($"param {JObject.Parse(record.Param!)["input"]!.ToString(Newtonsoft.Json.Formatting.None)}");

        foreach (var (field, value) in new (string, JToken)[]
        {
            ("caption", new string('c', 41)), ("caption", "ab"), ("style", "pencil"), ("strength", 0.3), ("strength", 2.5),
            ("loop", "yes"), ("reference_urls", new JArray()), ("reference_urls", new JArray("https://e.com/a.png", "https://e.com/b.png", "https://e.com/c.png")), ("reference_urls", new JArray("a.png")),
        })
        {
            var body = (JObject)valid.DeepClone();
            body["input"]![field] = value;
            var text = body.ToString(Newtonsoft.Json.Formatting.None);
            var problems = KlingOpenApiContract.ValidateOperationBody("CreateTask", new MemoryStream(Encoding.UTF8.GetBytes(text)));
            using var raw = new HttpRequestMessage(HttpMethod.Post, new Uri(simulator.BaseUrl, "api/v1/jobs/createTask")) { Content = new StringContent(text, Encoding.UTF8, "application/json") };
            raw.Headers.Authorization = new("Bearer", simulator.ApiKey);
            using var answer = await http.SendAsync(raw);
            var code = (int)JObject.Parse(await answer.Content.ReadAsStringAsync())["code"]!;
            Console.WriteLine($"invalid {field} client {(problems.Any(p => p.Contains("input." + field, StringComparison.Ordinal)) ? "refused" : "accepted")} simulator {code}");
        }

        Console.WriteLine($"credits {(await client.GetRemainingCreditsAsync()).Data}");
        """;

    /// <summary>The files a client and its simulator are built from, as the repository has them.</summary>
    private static readonly string[] Sources = ["Directory.Build.props", "Directory.Packages.props", "global.json", "nswag.json", ".editorconfig", "openapi", "src/KlingGenerated", "src/KlingGenerated.Generator", "src/KlingGenerated.Simulator", "tests/ports/python", "tests/ports/typescript"];

    /// <summary>What a copy leaves out: build output, installed packages, and what the ports generate at test time.</summary>
    private static readonly string[] NotCopied = ["bin", "obj", "node_modules", "dist", "generated", "__pycache__"];

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_model_added_only_to_a_copy_of_the_document_runs_create_wait_MP4_with_its_fields_validated_and_priced()
    {
        var root = Path.Combine(Path.GetTempPath(), "kling-proof-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            foreach (var source in Sources)
            {
                Copy(Path.Combine(Repo.Root, source), Path.Combine(root, source));
            }

            var document = Path.Combine(root, "openapi", "kling.openapi.yaml");
            File.WriteAllText(document, WithModel(File.ReadAllText(document)));
            Changed(root).Should().Equal(["openapi/kling.openapi.yaml"], "the document is the only file that differs from the repository");
            // The TypeScript port's pinned packages, as installed for the repository (once per run, whichever test comes first).
            await KlingGenerated.Tests.Ports.TypeScriptPortTests.EnsurePackagesAsync();
            var packages = Path.Combine(Repo.Root, "tests", "ports", "typescript", "node_modules");
            Directory.Exists(packages).Should().BeTrue("`npm ci` in tests/ports/typescript installs the port's packages");
            Directory.CreateSymbolicLink(Path.Combine(root, "tests", "ports", "typescript", "node_modules"), packages);

            var proof = Path.Combine(root, "proof");
            Directory.CreateDirectory(proof);
            File.WriteAllText(Path.Combine(proof, "Program.cs"), Program);
            File.WriteAllText(Path.Combine(proof, "Proof.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <IsPackable>false</IsPackable>
                    <!-- A user's program, not the library: the library's analyzer policy is not its business. -->
                    <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
                    <AnalysisLevel>none</AnalysisLevel>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="../src/KlingGenerated.Simulator/KlingGenerated.Simulator.csproj" />
                  </ItemGroup>
                </Project>
                """);

            var clock = Stopwatch.StartNew();
            // The library's analyzers and XML documentation are its own policy, checked by the repository's build; the copy is
            // built for what it generates and runs (a third of the build's time went to them).
            var build = await RunAsync(root, "build", "proof/Proof.csproj", "-v", "q", "-nologo", "-p:RunAnalyzers=false", "-p:GenerateDocumentationFile=false");
            output.WriteLine($"regenerated and built from the copy in {clock.Elapsed.TotalSeconds:0} s");
            build.ExitCode.Should().Be(0, build.Output);
            File.ReadAllText(Path.Combine(root, "src", "KlingGenerated", "obj", "KlingClient.g.cs")).Should().Contain("class KlingLabStoryboardRequest", "NSwag generated the new model's request type from the copy");

            // The program just built, started directly (`dotnet run --no-build` would evaluate the project again first).
            var run = await RunAsync(root, Path.Combine("proof", "bin", "Debug", "net10.0", "Proof.dll"), Model);
            output.WriteLine(run.Output);
            run.ExitCode.Should().Be(0, run.Output);
            run.Output.Should().Contain("type KlingLabStoryboardRequest fields prompt:string,caption:string,style:string,strength:number,loop:boolean,reference_urls:array");
            run.Output.Should().Contain($"request KlingLabStoryboardRequest {Model} price 9");
            run.Output.Should().MatchRegex($@"record {Model} Success credits 9 mp4 \d+ ftyp");
            run.Output.Should().Contain("\"caption\":\"Rain\"").And.Contain("\"reference_urls\":[\"https://example.com/ref.png\"]");
            foreach (var field in new[] { "caption", "style", "strength", "loop", "reference_urls" })
            {
                run.Output.Should().Contain($"invalid {field} client refused simulator 422");
            }

            run.Output.Should().NotContain("client accepted").And.NotMatchRegex(@"simulator (200|500)");
            run.Output.Should().Contain("credits 991", "the simulator charged the copy's price for a looping storyboard");

            // The ports, beside the same copy: no line of theirs changes for the new model.
            var simulatorDll = Path.Combine(root, "src", "KlingGenerated.Simulator", "bin", "Debug", "net10.0", "KlingGenerated.Simulator.dll");
            var python = await PythonInterpreter.WithModulesAsync(["requests", "jsonschema", "yaml"], ["python3-requests", "python3-jsonschema", "python3-yaml"]);
            var typeScript = await PortProofs.RunTypeScriptAsync(root, simulatorDll, Model);
            output.WriteLine(typeScript.Output);
            File.ReadAllText(Path.Combine(root, "tests", "ports", "typescript", "generated", "kling.ts")).Should().Contain("KlingLabStoryboardRequest", "openapi-typescript generated the new model's request from the copy");
            var pythonRun = await PortProofs.RunPythonAsync(root, python, simulatorDll, Model);
            pythonRun.Output.Should().Contain("python fields prompt:string,caption:string,style:string,strength:number,loop:boolean,reference_urls:array");
            foreach (var (language, port) in new[] { ("typescript", typeScript), ("python", pythonRun) })
            {
                output.WriteLine(port.Output);
                port.ExitCode.Should().Be(0, port.Output);
                port.Output.Should().Contain($"{language} valid 0 problems").And.MatchRegex($@"{language} record {Model} success mp4 ftyp");
                foreach (var field in new[] { "caption", "style", "strength", "loop", "reference_urls" })
                {
                    port.Output.Should().Contain($"{language} invalid {field} refused");
                }

                port.Output.Should().NotContain("accepted", "every broken field is refused before sending");
            }
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A build server may still hold a file; the temporary folder is left behind.
            }
        }
    }

    /// <summary>The document with the fictitious model added where a model is declared: the enum, the mapping, the schemas and the prices.</summary>
    private static string WithModel(string document)
    {
        string Insert(string text, string after, string inserted)
        {
            text.Should().Contain(after, "the document still has the place a model is added");
            var at = text.IndexOf(after, StringComparison.Ordinal) + after.Length;
            return text[..at] + inserted + text[at..];
        }

        var names = System.Text.RegularExpressions.Regex.Match(document, @"x-enumNames: &klingModelNames \[[^\]]*");
        names.Success.Should().BeTrue();
        var lastModel = System.Text.RegularExpressions.Regex.Match(document, @"    KlingModel:\n(?:.*\n)*?      enum:\n(?:        - .*\n)+");
        lastModel.Success.Should().BeTrue();
        document = document.Insert(lastModel.Index + lastModel.Length, $"        - {Model}\n");
        document = document.Replace(names.Value, names.Value + ", KlingLabStoryboard", StringComparison.Ordinal);
        var values = System.Text.RegularExpressions.Regex.Match(document, @"        name: KlingModel\n        modelAsString: false\n        values:\n(?:          - .*\n)+");
        values.Success.Should().BeTrue();
        document = document.Insert(values.Index + values.Length, $"          - {{ value: {Model}, name: KlingLabStoryboard }}\n");
        var mapping = System.Text.RegularExpressions.Regex.Match(document, @"        mapping:\n(?:          .*: '#/components/schemas/.*'\n)+");
        mapping.Success.Should().BeTrue();
        document = document.Insert(mapping.Index + mapping.Length, $"          {Model}: '#/components/schemas/KlingLabStoryboardRequest'\n");
        document = Insert(document, "      x-kling-pricing:\n        unit: credits\n        readOn: '2026-12'\n        source: https://docs.kie.ai/market/kling/v25-turbo-text-to-video-pro\n        models:\n", $"          - model: {Model}\n            pricedBy: loop\n            credits:\n              'true': 9\n              'false': 6\n");
        return Insert(document, "\n  schemas:\n", Schemas);
    }

    private static void Copy(string from, string to)
    {
        if (File.Exists(from))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to);
            return;
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(NotCopied.Contains))
            {
                continue;
            }

            Copy(file, Path.Combine(to, relative));
        }
    }

    /// <summary>The copied files whose bytes differ from the repository's.</summary>
    private static List<string> Changed(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(relative => !SHA256.HashData(File.ReadAllBytes(Path.Combine(root, relative))).AsSpan().SequenceEqual(SHA256.HashData(File.ReadAllBytes(Path.Combine(Repo.Root, relative)))))];

    private static Task<(int ExitCode, string Output)> RunAsync(string directory, params string[] args) =>
        ToolProcess.RunAsync(directory, TimeSpan.FromMinutes(20), "dotnet", args);
}
