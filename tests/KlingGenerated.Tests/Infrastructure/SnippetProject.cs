using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>
/// The fresh project a page's C# block is copied into, built from what the page itself names and nothing else: the
/// template of the nearest <c>dotnet new console|web|xunit|classlib</c> line before the block (console when none), and the
/// packages of every <c>dotnet add package NAME</c> line of the page. Its references are the base framework (plus
/// ASP.NET Core for <c>web</c>), and the assemblies of the named packages with every assembly they reference, found
/// among this test's own (as NuGet would restore a package with its dependencies); its usings are the template's.
/// </summary>
public sealed record SnippetProject(string Template, IReadOnlyList<string> Packages)
{
    private static readonly Regex NewLine = new(@"^\s*dotnet new (console|web|xunit|classlib)\b", RegexOptions.Multiline);
    private static readonly Regex AddPackage = new(@"^\s*dotnet add package ([A-Za-z0-9_.]+)", RegexOptions.Multiline);

    /// <summary>The packages of the <c>xunit</c> template.</summary>
    private static readonly string[] XunitTemplatePackages = ["xunit.core", "xunit.assert", "xunit.abstractions"];

    private static readonly Lazy<Dictionary<string, string>> Available = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(Path.GetFileNameWithoutExtension, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key!, g => g.First(), StringComparer.OrdinalIgnoreCase));

    /// <summary>The folder of the base framework (Microsoft.NETCore.App).</summary>
    public static string CoreFramework { get; } = Path.GetDirectoryName(typeof(object).Assembly.Location)!;

    /// <summary>The folder of the ASP.NET Core framework (Microsoft.AspNetCore.App).</summary>
    public static string AspNetCoreFramework { get; } = Path.GetDirectoryName(typeof(Microsoft.AspNetCore.Builder.WebApplication).Assembly.Location)!;

    /// <summary>The project of the block that starts at <paramref name="offset"/> in <paramref name="page"/>.</summary>
    public static SnippetProject For(string page, int offset)
    {
        var template = NewLine.Matches(page).Where(m => m.Index < offset).Select(m => m.Groups[1].Value).LastOrDefault() ?? "console";
        var packages = AddPackage.Matches(page).Select(m => m.Groups[1].Value).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return new SnippetProject(template, packages);
    }

    /// <summary>The assemblies of the named packages and of the template's, with all they reference; not the frameworks'.</summary>
    public IReadOnlyList<string> PackageAssemblies()
    {
        var seeds = Packages.Concat(Template == "xunit" ? XunitTemplatePackages : []).ToList();
        var missing = seeds.Where(p => !Available.Value.ContainsKey(p)).ToList();
        missing.Should().BeEmpty("a package the page names is one the tests reference, so its assembly can be checked");
        var found = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var queue = new Queue<string>(seeds.Select(p => Available.Value[p]));
        while (queue.TryDequeue(out var path))
        {
            if (!found.Add(path))
            {
                continue;
            }

            using var pe = new PEReader(File.OpenRead(path));
            var metadata = pe.GetMetadataReader();
            foreach (var handle in metadata.AssemblyReferences)
            {
                var name = metadata.GetString(metadata.GetAssemblyReference(handle).Name);
                if (Available.Value.TryGetValue(name, out var referenced) && !found.Contains(referenced))
                {
                    queue.Enqueue(referenced);
                }
            }
        }

        return found.Where(p => Path.GetDirectoryName(p) != CoreFramework).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether the project runs on ASP.NET Core: a web project, or a package that needs it (its FrameworkReference flows to the project).</summary>
    public bool UsesAspNetCore => Template == "web" || PackageAssemblies().Any(p => Path.GetDirectoryName(p) == AspNetCoreFramework);

    /// <summary>Every reference the compiler gets.</summary>
    public IEnumerable<MetadataReference> References()
    {
        var framework = Available.Value.Values.Where(p => Path.GetDirectoryName(p) == CoreFramework
            || (Template == "web" && Path.GetDirectoryName(p) == AspNetCoreFramework));
        return framework.Concat(PackageAssemblies()).Distinct(StringComparer.Ordinal).Select(p => MetadataReference.CreateFromFile(p));
    }

    /// <summary>The global usings the template's SDK adds (ImplicitUsings=enable); nothing of ours.</summary>
    public string ImplicitUsings()
    {
        string[] console = ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];
        string[] web = ["System.Net.Http.Json", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing",
            "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging"];
        var usings = Template switch
        {
            "web" => console.Concat(web),
            "xunit" => console.Append("Xunit"), // the template's <Using Include="Xunit" />
            _ => console,
        };
        return string.Concat(usings.Select(u => $"global using {u};\n"));
    }
}
