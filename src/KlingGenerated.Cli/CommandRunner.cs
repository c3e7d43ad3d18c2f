namespace KlingGenerated.Cli;

/// <summary>Runs a command's body and turns any failure into its exit code and one line on stderr.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(System.CommandLine.ParseResult parse, TextWriter error, Func<Task> body)
    {
        try
        {
            await body();
            return ExitCodes.Success;
        }
        catch (Exception exception)
        {
            return ExitCodes.Report(exception, parse.GetValue(GlobalOptions.Verbose), error);
        }
    }
}
