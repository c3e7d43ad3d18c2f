using System.CommandLine;

namespace KlingGenerated.Cli;

/// <summary>Runs a command's body and turns any failure into its exit code, one line on stderr and (with --json) a JSON object on stdout.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(ParseResult parse, TextWriter output, TextWriter error, CancellationToken cancellationToken, Func<CommandContext, Task> body)
    {
        var context = new CommandContext(parse, output, error, cancellationToken);
        MaskTheKey(parse);
        try
        {
            await body(context);
            return ExitCodes.Success;
        }
        catch (Exception exception)
        {
            return ExitCodes.Report(exception, context);
        }
    }

    /// <summary>
    /// Masks the key this command was given in all it prints, also in a command that builds no client (`kling tasks`
    /// lists task ids a hostile service may have made of the key). A key that cannot be read is reported later, by the command.
    /// </summary>
    private static void MaskTheKey(ParseResult parse)
    {
        try
        {
            KlingSecrets.Add(ApiKeySource.Find(parse.GetValue(GlobalOptions.ApiKey), parse.GetValue(GlobalOptions.ApiKeyFile), CliEnvironment.Of(parse)));
        }
        catch (Exception exception) when (exception is UsageException or InvalidOperationException or ArgumentException)
        {
        }
    }
}

/// <summary>Where a command got to, so a failure or Ctrl+C can say what happened to the task.</summary>
internal enum CommandStage
{
    /// <summary>Nothing was sent yet.</summary>
    Preparing,

    /// <summary>createTask is on its way: the task may or may not exist.</summary>
    Submitting,

    /// <summary>The task exists and has an id.</summary>
    Submitted,
}

/// <summary>A running command: its parse, writers, cancellation and how far it got.</summary>
internal sealed class CommandContext(ParseResult? parse, TextWriter output, TextWriter error, CancellationToken cancellationToken)
{
    public ParseResult? Parse { get; } = parse;

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public string? CommandName => Parse?.CommandResult.Command.Name;

    public bool Json => Parse?.GetValue(GlobalOptions.Json) == true;

    public bool Verbose => Parse?.GetValue(GlobalOptions.Verbose) == true;

    public CommandStage Stage { get; set; }

    /// <summary>True when the task lives in the built-in simulator, which stops with the command.</summary>
    public bool OnBuiltInSimulator { get; set; }

    /// <summary>The task the command works on, once known (service text: print it through <see cref="TerminalText"/>).</summary>
    public string? TaskId { get; set; }
}
