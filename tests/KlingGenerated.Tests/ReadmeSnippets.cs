using System.Text.RegularExpressions;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>
/// The C# snippets of the documentation: README.md, every page of docs/ and every package README (src/*/README.md).
/// Every C# block carries a <c>&lt;!-- snippet: Name --&gt;</c> marker. A block that starts with its <c>using</c> lines is a
/// whole file: it is compiled as written (Roslyn, with a console project's implicit usings and nothing else) as a
/// program, or as a library when it has no top-level statements. In docs/ and the package READMEs every block is a whole
/// file. In README.md a short block may be a fragment: then a region here must equal it, so it compiles in context. A name used in several documents has the same text in each.
/// </summary>
[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
public sealed class ReadmeSnippets
{
    /// <summary>The documents whose C# blocks are compiled, relative to the repository root.</summary>
    public static IEnumerable<string> Documents() =>
        new[] { "README.md" }
            .Concat(Directory.GetFiles(Path.Combine(Repo.Root, "docs"), "*.md").Select(f => Path.GetRelativePath(Repo.Root, f)))
            .Concat(Directory.GetDirectories(Path.Combine(Repo.Root, "src"))
                .Select(d => Path.Combine(d, "README.md")).Where(File.Exists).Select(f => Path.GetRelativePath(Repo.Root, f)))
            .Order(StringComparer.Ordinal);

    public static TheoryData<string> DocumentNames() => new(Documents());

    private static readonly Regex Marked = new(@"<!-- snippet: (\w+) -->\n```csharp\n(.*?)```", RegexOptions.Singleline);

    /// <summary>A block that starts with <c>using Namespace;</c> lines (not <c>using var</c>) is a whole file.</summary>
    private static bool IsWholeFile(string code) => Regex.IsMatch(code, @"^using (static )?[A-Z][\w.]*;\n");

    [Theory]
    [MemberData(nameof(DocumentNames))]
    public void Every_csharp_block_of_the_document_is_marked_and_compiles(string document)
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, document)).ReplaceLineEndings("\n");
        var source = File.ReadAllText(Path.Combine(Repo.Root, "tests", "KlingGenerated.Tests", "ReadmeSnippets.cs")).ReplaceLineEndings("\n");
        var snippets = Marked.Matches(text);

        snippets.Should().HaveCount(Regex.Matches(text, "```csharp").Count, $"every C# block in {document} carries a snippet marker");
        foreach (Match snippet in snippets)
        {
            var (name, code) = (snippet.Groups[1].Value, snippet.Groups[2].Value);
            if (IsWholeFile(code))
            {
                ReadmeProgram.Compile(code, $"{document}:{name}.cs").Should().NotBeNull();
                continue;
            }

            document.Should().Be("README.md", $"a C# block in docs/ or a package README is complete, starting with its using lines, so it can be copied as it is; {name} is not");
            var region = Regex.Match(source, $@"#region Snippet:{name}\n(.*?)\n\s*#endregion", RegexOptions.Singleline);
            region.Success.Should().BeTrue($"{document} snippet {name} is a whole file (starting with its usings) or has a region in ReadmeSnippets.cs");
            Dedent(region.Groups[1].Value).Should().Be(code.TrimEnd('\n'), $"{document} snippet {name} matches its compiled region");
        }
    }

    [Fact]
    public void A_snippet_name_used_in_several_documents_has_the_same_text_in_each()
    {
        var seen = new Dictionary<string, (string Document, string Code)>();
        foreach (var document in Documents())
        {
            var text = File.ReadAllText(Path.Combine(Repo.Root, document)).ReplaceLineEndings("\n");
            foreach (Match snippet in Marked.Matches(text))
            {
                if (seen.TryGetValue(snippet.Groups[1].Value, out var first))
                {
                    snippet.Groups[2].Value.Should().Be(first.Code, $"snippet {snippet.Groups[1].Value} of {document} is the one in {first.Document}");
                }
                else
                {
                    seen[snippet.Groups[1].Value] = (document, snippet.Groups[2].Value);
                }
            }
        }

        seen.Should().ContainKeys("QuickStart", "Errors", "RedisScaleOut");
    }

    [Fact]
    public async Task The_quick_start_as_written_in_the_README_compiles_as_a_program_and_prints_the_video_url_from_the_simulator()
    {
        var program = ReadmeProgram.Compile(ReadmeProgram.Snippet("QuickStart"));
        await using var simulator = await KlingSimulator.StartAsync();

        var output = await ReadmeProgram.RunAsync(program, new Dictionary<string, string?>
        {
            ["KIE_API_KEY"] = simulator.ApiKey,
            ["KIE_BASE_URL"] = simulator.BaseUrl.AbsoluteUri,
        });

        var sent = simulator.CreatedTasks.Should().ContainSingle("the quick start creates exactly one task").Subject;
        JObject.Parse(sent.Value)["input"]!["prompt"]!.Value<string>().Should().Be("A paper boat drifting down a rain-soaked street at dusk");
        var printed = new Uri(output.Trim());
        printed.AbsoluteUri.Should().StartWith(simulator.BaseUrl.AbsoluteUri, "it prints the result URL the simulator answered");
        printed.AbsolutePath.Should().EndWith(".mp4");
    }

    [Fact]
    public void The_KlingGenerated_package_README_shows_the_same_quick_start_as_the_README()
    {
        ReadmeProgram.Snippet("QuickStart", Path.Combine("src", "KlingGenerated", "README.md"))
            .Should().Be(ReadmeProgram.Snippet("QuickStart"), "the package README's program is the one this file compiles and runs");
    }

    private static void DependencyInjection(WebApplicationBuilder builder)
    {
        #region Snippet:DependencyInjection
        // appsettings.json: { "Kling": { "ApiKey": "...", "BaseUrl": "https://api.kie.ai/" } }
        builder.Services.AddKlingClient(builder.Configuration.GetSection("Kling"));
        // then inject IKlingClient (or KlingClient) wherever you need it.
        #endregion
    }

    [Fact]
    public async Task The_download_example_saves_the_result_of_a_task_of_the_simulator()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { WaitingFor = TimeSpan.Zero, QueuingFor = TimeSpan.Zero, GeneratingFor = TimeSpan.Zero });
        var client = new KlingClient(new KlingClientOptions { ApiKey = simulator.ApiKey, BaseUrl = simulator.BaseUrl });
        var record = await client.GenerateVideoAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "a boat" } }, cancellationToken: CancellationToken.None);
        var folder = Directory.CreateTempSubdirectory("kling-readme-").FullName;
        try
        {
            var path = await Download(client, record, folder, CancellationToken.None);

            path.Should().Be(Path.Combine(folder, record.TaskId + ".mp4"));
            using var direct = new HttpClient();
            (await File.ReadAllBytesAsync(path)).Should().Equal(await direct.GetByteArrayAsync(record.GetResultUrls()[0]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<string> Download(KlingClient client, TaskRecord record, string folder, CancellationToken cancellationToken)
    {
        #region Snippet:Download
        // The task id is service text: KlingFileNames makes it a safe name, checked to stay inside the folder.
        string path = KlingFileNames.InsideDirectory(folder, KlingFileNames.ForTask(record.TaskId));
        var progress = new Progress<KlingDownloadProgress>(p => Console.Write($"\r{p.BytesReceived:N0} of {p.TotalBytes:N0} bytes"));
        try
        {
            // No API key is sent to the result host; the file appears only when complete.
            path = await client.DownloadResultToFileAsync(record.GetResultUrls()[0], path,
                new KlingDownloadOptions { MaxBytes = 512L << 20, IdleTimeout = TimeSpan.FromSeconds(30) }, progress, cancellationToken);
        }
        catch (KlingDownloadException failed) when (failed.Reason == KlingDownloadFailure.FileExists)
        {
            Console.WriteLine(failed.Message); // the existing file was left as it is; set Overwrite = true to replace it
        }
        #endregion
        return path;
    }

    private static async Task Errors(IKlingClient client, CreateTaskRequest request, CancellationToken cancellationToken)
    {
        #region Snippet:Errors
        try
        {
            var created = await client.CreateTaskAsync(request, cancellationToken);
            Console.WriteLine($"Task {created.Data!.TaskId} submitted");
        }
        catch (System.ComponentModel.DataAnnotations.ValidationException invalid)
        {
            Console.WriteLine(invalid.Message); // names the JSON field and the limit; nothing was sent
        }
        catch (KlingApiException error) when (error.Kind == KlingErrorKind.RateLimited)
        {
            Console.WriteLine($"Slow down; retry after {error.RetryAfter ?? TimeSpan.FromSeconds(10)}");
        }
        catch (KlingApiException error)
        {
            Console.WriteLine($"{error.Kind} ({error.Code}), retryable: {error.IsRetryable}: {error.Message}");
        }
        #endregion
    }

    private static string Dedent(string block)
    {
        var lines = block.Split('\n');
        var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())).TrimEnd('\n');
    }
}
