using System.CommandLine;

namespace KlingGenerated.Cli;

/// <summary>Options every command that talks to the service takes (not `kling simulator`, which would ignore them).</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> ApiKey = new("--api-key") { Description = "The kie.ai API key. Visible to other users in the process list: prefer KIE_API_KEY or --api-key-file. Never printed.", Recursive = true };

    public static readonly Option<string?> ApiKeyFile = new("--api-key-file") { Description = "Read the API key from this file (default: KIE_API_KEY_FILE).", Recursive = true };

    public static readonly Option<string?> BaseUrl = new("--base-url") { Description = "The service's root (default: KIE_BASE_URL, else https://api.kie.ai/). With neither a key nor a URL, the built-in simulator is used.", Recursive = true };

    public static readonly Option<bool> Json = new("--json") { Description = "Print machine-readable JSON on stdout, errors included.", Recursive = true };

    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Print stack traces with errors.", Recursive = true };

    /// <summary>Adds the options to a command that talks to the service (and to its subcommands).</summary>
    public static Command AddTo(Command command)
    {
        AddToSimulator(command);
        command.Options.Add(ApiKeyFile);
        command.Options.Add(BaseUrl);
        command.Options.Add(Json);
        return command;
    }

    /// <summary>`kling simulator` takes --api-key (as the key it accepts) and --verbose; the rest would be ignored, so it does not list them.</summary>
    public static Command AddToSimulator(Command command)
    {
        command.Options.Add(ApiKey);
        command.Options.Add(Verbose);
        return command;
    }
}
