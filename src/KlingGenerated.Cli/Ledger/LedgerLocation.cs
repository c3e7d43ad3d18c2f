using System.CommandLine;

namespace KlingGenerated.Cli.Ledger;

/// <summary>
/// Where the ledger lives: --ledger, else KLING_LEDGER, else $XDG_DATA_HOME/kling/tasks.db, else ~/.local/share/kling/tasks.db.
/// A path is a SQLite file on this machine; a <c>postgresql://</c> URI is a PostgreSQL database several machines share.
/// </summary>
internal static class LedgerLocation
{
    public static readonly Option<string?> Option = new("--ledger")
    {
        Description = "The task ledger: a SQLite file, or a PostgreSQL database shared by several machines (postgresql://user@host:5432/db, password in PGPASSWORD or ~/.pgpass). Default: KLING_LEDGER, else $XDG_DATA_HOME/kling/tasks.db, else ~/.local/share/kling/tasks.db.",
    };

    /// <summary>Adds --ledger to a command that records in the ledger.</summary>
    public static System.CommandLine.Command AddTo(System.CommandLine.Command command)
    {
        command.Options.Add(Option);
        return command;
    }

    /// <summary>The ledger the options and environment choose: a full file path, or a PostgreSQL URI as given.</summary>
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
            return PostgresLedger.IsConnection(given.Trim()) ? given.Trim() : environment.FullPath(given.Trim());
        }

        return DefaultFile(parse);
    }

    /// <summary>Whether the chosen ledger is a shared PostgreSQL database.</summary>
    public static bool IsShared(ParseResult parse) => PostgresLedger.IsConnection(Resolve(parse));

    /// <summary>The built-in simulator's state file, beside the ledger file (or the default one), so its tasks outlive one command.</summary>
    public static string SimulatorStateFile(ParseResult parse)
    {
        var ledger = Resolve(parse);
        return Path.Combine(Path.GetDirectoryName(PostgresLedger.IsConnection(ledger) ? DefaultFile(parse) : ledger)!, "simulator-state.json");
    }

    /// <summary>Opens the ledger the options choose.</summary>
    public static ITaskLedger Open(ParseResult parse) => OpenSetting(Resolve(parse));

    /// <summary>Opens the ledger a resolved setting names: a PostgreSQL URI or a file.</summary>
    public static ITaskLedger OpenSetting(string ledger) =>
        PostgresLedger.IsConnection(ledger) ? PostgresLedger.Open(ledger) : TaskLedger.Open(ledger);

    private static string DefaultFile(ParseResult parse)
    {
        var dataHome = CliEnvironment.Of(parse).Variable("XDG_DATA_HOME");
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
}
