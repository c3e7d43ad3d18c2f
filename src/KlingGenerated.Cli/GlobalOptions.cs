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
        command.Options.Add(ApiKey);
        AddToSimulator(command);
        command.Options.Add(ApiKeyFile);
        command.Options.Add(BaseUrl);
        command.Options.Add(Json);
        return command;
    }

    /// <summary>`kling simulator` declares its own --api-key (the key it accepts) and takes only --verbose from here; the rest would be ignored, so it does not list them.</summary>
    public static Command AddToSimulator(Command command)
    {
        command.Options.Add(Verbose);
        return command;
    }

    /// <summary>
    /// Lists the options in the root's --help. They are copies, not recursive: recursive root options would reach
    /// `kling simulator`, which must not offer what it ignores. <see cref="AfterCommand"/> moves the real ones.
    /// </summary>
    public static void AddListingTo(RootCommand root)
    {
        foreach (var option in new Option[] { ApiKey, ApiKeyFile, BaseUrl, Json, Verbose, Ledger.LedgerLocation.Option })
        {
            root.Options.Add(option is Option<bool> ? new Option<bool>(option.Name) { Description = option.Description } : new Option<string?>(option.Name) { Description = option.Description });
        }
    }

    /// <summary>The arguments with the service options given before the command moved right after the command's name.</summary>
    public static string[] AfterCommand(string[] args, RootCommand root)
    {
        var withValue = new[] { ApiKey.Name, ApiKeyFile.Name, BaseUrl.Name, Ledger.LedgerLocation.Option.Name };
        var flags = new[] { Json.Name, Verbose.Name };
        var leading = new List<string>();
        var i = 0;
        while (i < args.Length)
        {
            var name = args[i].Split('=', 2)[0];
            if (flags.Contains(args[i]))
            {
                leading.Add(args[i++]);
            }
            else if (withValue.Contains(name) && args[i].Contains('=', StringComparison.Ordinal))
            {
                leading.Add(args[i++]);
            }
            else if (withValue.Contains(args[i]) && i + 1 < args.Length)
            {
                leading.Add(args[i++]);
                leading.Add(args[i++]);
            }
            else
            {
                break;
            }
        }

        if (leading.Count == 0 || i >= args.Length || !root.Subcommands.Any(c => c.Name == args[i]))
        {
            return args; // nothing to move, or no command after them: the parser reports it
        }

        return [args[i], .. leading, .. args[(i + 1)..]];
    }
}
