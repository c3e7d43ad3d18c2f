using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>
/// Compiles a README snippet that is a whole program exactly as written, as `dotnet new console` would: the SDK's implicit
/// usings for a console app, nullable on, and no other declarations. Runs it in this process.
/// </summary>
public static class ReadmeProgram
{
    /// <summary>The usings a new console project's SDK adds (ImplicitUsings=enable); nothing of ours.</summary>
    private const string ConsoleImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly SemaphoreSlim ConsoleGate = new(1, 1);

    /// <summary>The text of a README's C# block marked <c>&lt;!-- snippet: name --&gt;</c>, as written.</summary>
    public static string Snippet(string name, string readmePath = "README.md")
    {
        var readme = File.ReadAllText(Path.Combine(Repo.Root, readmePath)).ReplaceLineEndings("\n");
        var match = Regex.Match(readme, $@"<!-- snippet: {Regex.Escape(name)} -->\n```csharp\n(.*?)```", RegexOptions.Singleline);
        match.Success.Should().BeTrue($"{readmePath} has a C# block marked <!-- snippet: {name} -->");
        return match.Groups[1].Value;
    }

    /// <summary>
    /// Compiles <paramref name="programText"/> as Program.cs of a console app (or, when it has no top-level statements,
    /// as the one file of a class library); fails on any error or warning.
    /// </summary>
    public static Assembly Compile(string programText, string fileName = "Program.cs")
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var tree = CSharpSyntaxTree.ParseText(programText, parse, fileName);
        var kind = tree.GetCompilationUnitRoot().Members.OfType<Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax>().Any()
            ? OutputKind.ConsoleApplication
            : OutputKind.DynamicallyLinkedLibrary;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "ReadmeQuickStart",
            [tree, CSharpSyntaxTree.ParseText(ConsoleImplicitUsings, parse, "GlobalUsings.g.cs")],
            references,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));

        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToList();
        problems.Should().BeEmpty($"the program {fileName} compiles as written, without warnings");
        result.Success.Should().BeTrue();
        return Assembly.Load(image.ToArray());
    }

    /// <summary>Runs the program's entry point with the given environment variables set, and returns what it printed.</summary>
    public static async Task<string> RunAsync(Assembly program, IReadOnlyDictionary<string, string?> environment)
    {
        await ConsoleGate.WaitAsync();
        var before = environment.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        var originalOut = Console.Out;
        var output = new StringWriter();
        try
        {
            foreach (var (name, value) in environment)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            Console.SetOut(output);
            var entry = program.EntryPoint ?? throw new InvalidOperationException("The README program has no entry point.");
            await Task.Run(() => entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [Array.Empty<string>()]));
            return output.ToString();
        }
        finally
        {
            Console.SetOut(originalOut);
            foreach (var (name, value) in before)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            ConsoleGate.Release();
        }
    }
}
