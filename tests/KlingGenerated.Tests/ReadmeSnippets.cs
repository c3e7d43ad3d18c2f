using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>
/// The C# snippets of the documentation: README.md, every page of docs/ and every package README (src/*/README.md).
/// Every C# block carries a <c>&lt;!-- snippet: Name --&gt;</c> marker and is a whole file, starting with its <c>using</c>
/// lines: it is compiled as written (Roslyn) in the fresh project its page names (<see cref="SnippetProject"/>: the
/// template of its <c>dotnet new</c> line, the packages of its <c>dotnet add package</c> lines, the template's implicit
/// usings, nothing else), as a program, or as a library when it has no top-level statements. Every program that calls
/// the service runs as its own process against the simulator. A name used in several documents has the same text in each.
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
    public void Every_csharp_block_of_the_document_is_a_whole_file_that_compiles_with_only_what_the_page_names(string document)
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, document)).ReplaceLineEndings("\n");
        var snippets = Marked.Matches(text);

        snippets.Should().HaveCount(Regex.Matches(text, "```csharp").Count, $"every C# block in {document} carries a snippet marker");
        foreach (Match snippet in snippets)
        {
            var (name, code) = (snippet.Groups[1].Value, snippet.Groups[2].Value);
            IsWholeFile(code).Should().BeTrue($"a C# block is complete, starting with its using lines, so it can be copied as it is; {document}:{name} is not");
            var project = SnippetProject.For(text, snippet.Index);
            project.Packages.Should().NotBeEmpty($"{document} names the packages of {name} in an install line (dotnet add package)");
            ReadmeProgram.Compile(code, project, $"{document}:{name}.cs").Should().NotBeNull();
        }
    }

    [Fact]
    public void The_check_adds_nothing_a_block_that_needs_a_package_its_page_does_not_name_does_not_compile()
    {
        var (code, project) = ReadmeProgram.Block("DependencyInjection");
        project.Packages.Should().Contain("Microsoft.Extensions.Hosting", "the README names it for this block");

        FluentActions.Invoking(() => ReadmeProgram.Compile(code, project with { Packages = ["KlingGenerated"] }))
            .Should().Throw<Exception>("without Microsoft.Extensions.Hosting, Host is unknown: the check supplies nothing the page does not name");
        FluentActions.Invoking(() => ReadmeProgram.Compile(ReadmeProgram.Snippet("TelemetryOtlp", "docs/telemetry.md"), project with { Packages = ["KlingGenerated", "OpenTelemetry.Exporter.OpenTelemetryProtocol"] }))
            .Should().Throw<Exception>("AddSimpleConsole needs Microsoft.Extensions.Logging.Console");
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
    public async Task The_quick_start_prints_the_task_id_when_created_then_the_video_url_from_the_simulator()
    {
        var program = ReadmeProgram.Compile("QuickStart");
        await using var simulator = await KlingSimulator.StartAsync(Quick());

        var run = await ReadmeProgram.RunAsync(program, Service(simulator));

        run.ExitCode.Should().Be(0, run.Stderr);
        var sent = simulator.CreatedTasks.Should().ContainSingle("the quick start creates exactly one task").Subject;
        JObject.Parse(sent.Value)["input"]!["prompt"]!.Value<string>().Should().Be("A paper boat drifting down a rain-soaked street at dusk");
        var lines = run.Stdout.Trim().Split('\n');
        lines[0].Should().Contain($"Created task {sent.Key}", "the id is shown as soon as the task exists");
        var printed = new Uri(lines[^1].Trim());
        printed.AbsoluteUri.Should().StartWith(simulator.BaseUrl.AbsoluteUri, "it prints the result URL the simulator answered");
        printed.AbsolutePath.Should().EndWith(".mp4");
    }

    [Fact]
    public async Task The_quick_start_stopped_by_ctrl_c_after_the_create_prints_the_task_id_and_a_resume_command_that_works()
    {
        var program = ReadmeProgram.Compile("QuickStart");
        // The simulator's own clock: the task stays generating until the test moves it on, however slowly a loaded machine
        // gets the SIGINT to the program (with a 4 s task on the wall clock, a busy CI once saw the program finish first).
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { WaitingFor = TimeSpan.Zero, QueuingFor = TimeSpan.Zero, GeneratingFor = TimeSpan.FromSeconds(4), TimeProvider = clock });
        var folder = Directory.CreateTempSubdirectory("kling-quickstart-").FullName;
        using var process = ReadmeProgram.Start(program, Service(simulator), folder);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var killOnDeadline = deadline.Token.Register(() => process.Kill(entireProcessTree: true));
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = new StringBuilder();
        string? first;
        while ((first = await process.StandardOutput.ReadLineAsync(deadline.Token)) is not null)
        {
            stdout.AppendLine(first);
            if (first.Contains("Created task", StringComparison.Ordinal))
            {
                break;
            }
        }

        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(); // SIGINT, as Ctrl+C sends it
        }

        stdout.Append(await process.StandardOutput.ReadToEndAsync(deadline.Token));
        await process.WaitForExitAsync(deadline.Token);
        deadline.IsCancellationRequested.Should().BeFalse("the program exits within 2 minutes of Ctrl+C; it was killed:\n{0}", stdout);
        var taskId = simulator.CreatedTasks.Should().ContainSingle().Subject.Key;

        process.ExitCode.Should().Be(130, "{0}{1}", stdout, await stderr);
        stdout.ToString().Should().Contain($"Stopped waiting for task {taskId}");
        var resume = stdout.ToString().Split('\n').SkipWhile(l => !l.StartsWith("Resume", StringComparison.Ordinal)).Skip(1).First().Trim();
        resume.Should().Be($"kling wait {taskId}");

        // The printed command, run as printed against the same service, finishes the task (and downloads it).
        clock.Advance(TimeSpan.FromSeconds(5));
        var words = await ShellWords.SplitAsync(resume);
        var resumed = await KlingInProcess.RunAsync(folder, new Dictionary<string, string> { ["KIE_API_KEY"] = simulator.ApiKey, ["KIE_BASE_URL"] = simulator.BaseUrl.AbsoluteUri }, words[1..]);
        resumed.ExitCode.Should().Be(0, resumed.Stderr);
        simulator.CreatedTasks.Should().ContainSingle("resuming never pays again");
    }

    [Fact]
    public void The_KlingGenerated_package_README_shows_the_same_quick_start_as_the_README()
    {
        ReadmeProgram.Snippet("QuickStart", Path.Combine("src", "KlingGenerated", "README.md"))
            .Should().Be(ReadmeProgram.Snippet("QuickStart"), "the package README's program is the one this file compiles and runs");
    }

    [Fact]
    public async Task The_dependency_injection_program_reads_its_settings_from_the_configuration_and_asks_the_simulator()
    {
        await using var simulator = await KlingSimulator.StartAsync(Quick());

        var run = await ReadmeProgram.RunAsync(ReadmeProgram.Compile("DependencyInjection"),
            new Dictionary<string, string> { ["Kling__ApiKey"] = simulator.ApiKey!, ["Kling__BaseUrl"] = simulator.BaseUrl.AbsoluteUri });

        run.ExitCode.Should().Be(0, run.Stderr);
        run.Stdout.Should().MatchRegex(@"(?m)^\d+ credits left$", "the host also logs its HTTP requests to the console");
    }

    [Fact]
    public async Task The_errors_program_submits_a_task_and_explains_an_invalid_request_without_sending_it()
    {
        var program = ReadmeProgram.Compile("Errors");
        await using var simulator = await KlingSimulator.StartAsync(Quick());

        var submitted = await ReadmeProgram.RunAsync(program, Service(simulator));
        var invalid = await ReadmeProgram.RunAsync(program, Service(simulator), "");

        submitted.Stdout.Should().MatchRegex(@"^Task task_kling_\w+ submitted", submitted.Stderr);
        invalid.Stdout.Should().Contain("prompt", "the validation message names the field");
        simulator.CreatedTasks.Should().ContainSingle("the invalid request was not sent");
    }

    [Fact]
    public async Task The_download_program_saves_the_result_of_a_task_of_the_simulator()
    {
        await using var simulator = await KlingSimulator.StartAsync(Quick());
        var client = new KlingClient(new KlingClientOptions { ApiKey = simulator.ApiKey, BaseUrl = simulator.BaseUrl });
        var record = await client.GenerateVideoAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "a boat" } }, cancellationToken: CancellationToken.None);
        var folder = Directory.CreateTempSubdirectory("kling-readme-").FullName;
        try
        {
            var run = await ReadmeProgram.RunAsync(ReadmeProgram.Compile("Download"), Service(simulator), record.TaskId, folder);

            run.ExitCode.Should().Be(0, run.Stderr);
            var path = run.Stdout.Trim();
            path.Should().Be(Path.Combine(folder, record.TaskId + ".mp4"));
            using var direct = new HttpClient();
            (await File.ReadAllBytesAsync(path)).Should().Equal(await direct.GetByteArrayAsync(record.GetResultUrls()[0]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The other programs of docs/ that call the service, each run against the simulator.</summary>
    public static TheoryData<string, string> CallingPrograms() => new()
    {
        { "docs/polling.md", "TaskIdFirst" },
        { "docs/reliability.md", "CreateTaskJournal" },
        { "docs/simulator.md", "Simulator" },
        { "docs/telemetry.md", "TelemetryOtlp" },
        { "docs/spending.md", "Budget" },
    };

    [Theory]
    [MemberData(nameof(CallingPrograms))]
    public async Task A_documented_program_that_calls_the_service_runs_against_the_simulator(string page, string name)
    {
        await using var simulator = await KlingSimulator.StartAsync(Quick());

        var run = await ReadmeProgram.RunAsync(ReadmeProgram.Compile(name, page), new Dictionary<string, string>(Service(simulator)) { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9" });

        run.ExitCode.Should().Be(0, "{0}\n{1}", run.Stdout, run.Stderr);
        run.Stdout.Should().MatchRegex(@"task_kling_\w+", "it prints the task id or the result URL it got");
        if (name != "Simulator") // that one starts a simulator of its own
        {
            simulator.CreatedTasks.Should().NotBeEmpty("{0} created its tasks on the simulator it was pointed at", name);
        }
    }

    [Fact]
    public async Task The_polling_program_waits_for_a_task_id_it_is_given()
    {
        await using var simulator = await KlingSimulator.StartAsync(Quick());
        var client = new KlingClient(new KlingClientOptions { ApiKey = simulator.ApiKey, BaseUrl = simulator.BaseUrl });
        var created = await client.CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "a boat" } });

        var run = await ReadmeProgram.RunAsync(ReadmeProgram.Compile("Polling", "docs/polling.md"), Service(simulator), created.Data!.TaskId);

        run.ExitCode.Should().Be(0, run.Stderr);
        // Progress<T> reports on the thread pool, so a state line may be printed after the URL: look at every line.
        run.Stdout.Split('\n').Select(line => line.Trim())
            .Should().Contain(line => Uri.IsWellFormedUriString(line, UriKind.Absolute) && new Uri(line).AbsolutePath.EndsWith(".mp4"), run.Stdout);
    }

    private static KlingSimulatorOptions Quick() => new() { WaitingFor = TimeSpan.Zero, QueuingFor = TimeSpan.Zero, GeneratingFor = TimeSpan.FromMilliseconds(200) };

    private static Dictionary<string, string> Service(KlingSimulator simulator) => new()
    {
        ["KIE_API_KEY"] = simulator.ApiKey!,
        ["KIE_BASE_URL"] = simulator.BaseUrl.AbsoluteUri,
    };
}
