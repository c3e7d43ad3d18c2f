using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>
/// Compiles a documentation block exactly as written into the fresh project its page names (<see cref="SnippetProject"/>:
/// the template's implicit usings, nullable on, the named packages and nothing else), and runs it as its own process with
/// only those assemblies beside it.
/// </summary>
public static class ReadmeProgram
{
    /// <summary>A compiled block: its image and the project it was compiled for.</summary>
    public sealed record Compiled(byte[] Image, SnippetProject Project, bool IsProgram);

    /// <summary>A finished run: exit code and what it printed.</summary>
    public sealed record Run(int ExitCode, string Stdout, string Stderr);

    private static readonly Regex Marked = new(@"<!-- snippet: (\w+) -->\n```csharp\n(.*?)```", RegexOptions.Singleline);

    /// <summary>The C# block of <paramref name="page"/> marked <c>&lt;!-- snippet: name --&gt;</c>, as written, with its project.</summary>
    public static (string Code, SnippetProject Project) Block(string name, string page = "README.md")
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, page)).ReplaceLineEndings("\n");
        var match = Marked.Matches(text).FirstOrDefault(m => m.Groups[1].Value == name);
        match.Should().NotBeNull($"{page} has a C# block marked <!-- snippet: {name} -->");
        return (match!.Groups[2].Value, SnippetProject.For(text, match.Index));
    }

    /// <summary>The text of a page's block, as written.</summary>
    public static string Snippet(string name, string page = "README.md") => Block(name, page).Code;

    /// <summary>Compiles the block <paramref name="name"/> of <paramref name="page"/>.</summary>
    public static Compiled Compile(string name, string page = "README.md")
    {
        var (code, project) = Block(name, page);
        return Compile(code, project, $"{page}:{name}.cs");
    }

    /// <summary>
    /// Compiles <paramref name="programText"/> as Program.cs of <paramref name="project"/> (or, when it has no top-level
    /// statements, as the one file of a class library); fails on any error or warning.
    /// </summary>
    public static Compiled Compile(string programText, SnippetProject project, string fileName = "Program.cs")
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var tree = CSharpSyntaxTree.ParseText(programText, parse, fileName);
        var isProgram = tree.GetCompilationUnitRoot().Members.OfType<Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax>().Any();
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [tree, CSharpSyntaxTree.ParseText(project.ImplicitUsings(), parse, "GlobalUsings.g.cs")],
            project.References(),
            new CSharpCompilationOptions(isProgram ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToList();
        problems.Should().BeEmpty($"{fileName} compiles as written in a fresh {project.Template} project with only the packages its page names ({string.Join(", ", project.Packages)}), without warnings");
        result.Success.Should().BeTrue();
        return new Compiled(image.ToArray(), project, isProgram);
    }

    /// <summary>
    /// Compiles generated code (not a page's block) against every assembly this test process has, with a console
    /// project's implicit usings, and loads it here; fails on any error or warning.
    /// </summary>
    public static System.Reflection.Assembly CompileWithTestReferences(string code, string fileName)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            Path.GetFileNameWithoutExtension(fileName),
            [CSharpSyntaxTree.ParseText(code, parse, fileName), CSharpSyntaxTree.ParseText(new SnippetProject("console", []).ImplicitUsings(), parse, "GlobalUsings.g.cs")],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).Should().BeEmpty($"{fileName} compiles without warnings");
        result.Success.Should().BeTrue();
        return System.Reflection.Assembly.Load(image.ToArray());
    }

    /// <summary>
    /// Writes the program with the assemblies of its packages into a new folder and starts it with <c>dotnet</c>, with
    /// the given environment variables and arguments, in <paramref name="workingDirectory"/>.
    /// </summary>
    public static Process Start(Compiled program, IReadOnlyDictionary<string, string> environment, string workingDirectory, params string[] args)
    {
        program.IsProgram.Should().BeTrue("only a program runs");
        var folder = Directory.CreateTempSubdirectory("kling-snippet-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "Snippet.dll"), program.Image);
        var aspNetCore = program.Project.UsesAspNetCore;
        var targets = new Newtonsoft.Json.Linq.JObject { ["Snippet/1.0.0"] = new Newtonsoft.Json.Linq.JObject { ["runtime"] = new Newtonsoft.Json.Linq.JObject { ["Snippet.dll"] = new Newtonsoft.Json.Linq.JObject() } } };
        var libraries = new Newtonsoft.Json.Linq.JObject { ["Snippet/1.0.0"] = Library() };
        foreach (var assembly in program.Project.PackageAssemblies().Where(a => !(aspNetCore && Path.GetDirectoryName(a) == SnippetProject.AspNetCoreFramework)))
        {
            File.Copy(assembly, Path.Combine(folder, Path.GetFileName(assembly)));

            // As NuGet's deps.json does, with the versions: a package newer than the framework's copy wins over it.
            var key = Path.GetFileNameWithoutExtension(assembly) + "/1.0.0";
            targets[key] = new Newtonsoft.Json.Linq.JObject
            {
                ["runtime"] = new Newtonsoft.Json.Linq.JObject
                {
                    [Path.GetFileName(assembly)] = new Newtonsoft.Json.Linq.JObject
                    {
                        ["assemblyVersion"] = System.Reflection.AssemblyName.GetAssemblyName(assembly).Version!.ToString(),
                        ["fileVersion"] = FileVersionInfo.GetVersionInfo(assembly).FileVersion is { Length: > 0 } fileVersion ? fileVersion.Split(' ')[0] : "0.0.0.0",
                    },
                },
            };
            libraries[key] = Library();
        }

        var tfm = $".NETCoreApp,Version=v{Environment.Version.Major}.{Environment.Version.Minor}";
        File.WriteAllText(Path.Combine(folder, "Snippet.deps.json"), new Newtonsoft.Json.Linq.JObject
        {
            ["runtimeTarget"] = new Newtonsoft.Json.Linq.JObject { ["name"] = tfm },
            ["targets"] = new Newtonsoft.Json.Linq.JObject { [tfm] = targets },
            ["libraries"] = libraries,
        }.ToString());

        var version = $"{Environment.Version.Major}.{Environment.Version.Minor}.0";
        var frameworks = aspNetCore
            ? $$"""[{ "name": "Microsoft.NETCore.App", "version": "{{version}}" }, { "name": "Microsoft.AspNetCore.App", "version": "{{version}}" }]"""
            : $$"""[{ "name": "Microsoft.NETCore.App", "version": "{{version}}" }]""";
        File.WriteAllText(Path.Combine(folder, "Snippet.runtimeconfig.json"),
            $$"""{ "runtimeOptions": { "tfm": "net{{version[..^2]}}", "frameworks": {{frameworks}} } }""");

        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(folder, "Snippet.dll"), .. args])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("KIE_", StringComparison.Ordinal) || k.StartsWith("Kling__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name); // only what the test gives
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        // Tests press Ctrl+C: SIGINT at its default, whatever launched the suite (a background shell starts it ignored).
        return Process.Start(start.WithDefaultInterrupt()) ?? throw new InvalidOperationException("dotnet did not start.");
    }

    private static Newtonsoft.Json.Linq.JObject Library() => new() { ["type"] = "project", ["serviceable"] = false, ["sha512"] = "" };

    /// <summary>Runs the program to its end (at most 2 minutes) and returns what it printed.</summary>
    public static async Task<Run> RunAsync(Compiled program, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var workingDirectory = Directory.CreateTempSubdirectory("kling-snippet-run-").FullName;
        using var process = Start(program, environment, workingDirectory, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the program did not finish within 2 minutes:\n{await stdout}\n{await stderr}");
        }

        return new Run(process.ExitCode, await stdout, await stderr);
    }
}
