using System.CommandLine;

namespace KlingGenerated.Cli.Ledger;

/// <summary>Where the ledger lives: --ledger, else KLING_LEDGER, else $XDG_DATA_HOME/kling/tasks.db, else ~/.local/share/kling/tasks.db.</summary>
internal static class LedgerLocation
{
    public static readonly Option<string?> Option = new("--ledger")
    {
        Description = "The task ledger file (default: KLING_LEDGER, else $XDG_DATA_HOME/kling/tasks.db, else ~/.local/share/kling/tasks.db).",
    };

    /// <summary>Adds --ledger to a command that records in the ledger.</summary>
    public static System.CommandLine.Command AddTo(System.CommandLine.Command command)
    {
        command.Options.Add(Option);
        return command;
    }

    /// <summary>The ledger path the options and environment choose.</summary>
    public static string Resolve(ParseResult parse)
    {
        var environment = CliEnvironment.Of(parse);
        var given = parse.GetValue(Option);
        if (string.IsNullOrWhiteSpace(given))
        {
            given = environment.Variable("KLING_LEDGER");
        }

        if (!string.IsNullOrWhiteSpace(given))
        {
            return environment.FullPath(given.Trim());
        }

        var dataHome = environment.Variable("XDG_DATA_HOME");
        if (string.IsNullOrWhiteSpace(dataHome) || !Path.IsPathRooted(dataHome))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
            {
                throw new UsageException("cannot find the home folder for the task ledger: pass --ledger PATH or set KLING_LEDGER.");
            }

            dataHome = Path.Combine(home, ".local", "share");
        }

        return Path.Combine(dataHome, "kling", "tasks.db");
    }

    /// <summary>The built-in simulator's state file, beside the ledger, so its tasks outlive one command.</summary>
    public static string SimulatorStateFile(ParseResult parse) =>
        Path.Combine(Path.GetDirectoryName(Resolve(parse))!, "simulator-state.json");

    /// <summary>Opens the ledger the options choose.</summary>
    public static ITaskLedger Open(ParseResult parse) => TaskLedger.Open(Resolve(parse));
}
