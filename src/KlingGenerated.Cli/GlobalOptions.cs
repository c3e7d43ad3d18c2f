using System.CommandLine;

namespace KlingGenerated.Cli;

/// <summary>Options every command takes.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> ApiKey = new("--api-key") { Description = "The kie.ai API key (default: KIE_API_KEY). Never printed.", Recursive = true };

    public static readonly Option<string?> BaseUrl = new("--base-url") { Description = "The service address (default: KIE_BASE_URL, else https://api.kie.ai/). With neither a key nor a URL, the built-in simulator is used.", Recursive = true };

    public static readonly Option<bool> Json = new("--json") { Description = "Print machine-readable JSON on stdout.", Recursive = true };

    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Print stack traces with errors.", Recursive = true };
}
